import { Text } from './ink.js';
import { Fragment } from 'react';
import { layoutBar, separatorAfter, type BarFields, type BarPart, type BarStatus } from './bar-layout.js';
import { LEVEL_COLOR } from './levels.js';

export interface BudgetBarProps extends BarFields {
  /** Terminal width; the bar takes at most `columns - 1` of it (see `layoutBar`). */
  readonly columns: number;
}

const STATUS_COLOR: Readonly<Record<BarStatus, 'green' | 'yellow' | 'red' | 'cyan'>> = {
  running: 'green',
  'waiting for approval': 'cyan',
  'paused: idle': 'yellow',
  stopped: 'red',
};

function Part({ part }: { readonly part: BarPart }) {
  switch (part.kind) {
    case 'label':
      return <Text bold>{part.text}</Text>;
    case 'gauge':
      return (
        <Text>
          <Text color={LEVEL_COLOR[part.level]}>{part.filled}</Text>
          <Text dimColor>{part.empty}</Text>
        </Text>
      );
    case 'spend':
      return (
        <Text bold color={LEVEL_COLOR[part.level]}>
          {part.text}
        </Text>
      );
    case 'phase':
      return <Text color={LEVEL_COLOR[part.level]}>{part.text}</Text>;
    case 'info':
      return <Text>{part.text}</Text>;
    case 'status':
      return (
        <Text bold={part.status !== 'running'} color={STATUS_COLOR[part.status]}>
          {part.text}
        </Text>
      );
  }
}

/** The one-line budget bar: spend against the cap, what is left, phase, model and state. */
export function BudgetBar(props: BudgetBarProps) {
  const parts = layoutBar(props, props.columns);
  return (
    <Text wrap="truncate-end">
      {parts.map((part, i) => {
        const prev = parts[i - 1];
        return (
          <Fragment key={i}>
            {prev ? <Text dimColor>{separatorAfter(prev)}</Text> : null}
            <Part part={part} />
          </Fragment>
        );
      })}
    </Text>
  );
}
