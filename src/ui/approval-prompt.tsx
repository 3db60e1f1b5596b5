import { Text } from './ink.js';
import { Fragment } from 'react';
import { layoutPrompt, type PromptFields } from './prompt-layout.js';

export interface ApprovalPromptProps extends PromptFields {
  /** Terminal width; the prompt takes at most `columns - 1` of it. */
  readonly columns: number;
}

/**
 * A question on the bar row: "Budget reached: $1.49 of $1.50. Add $1.50 (a), enter an amount (e),
 * or stop (s)?". Only the keys in the choices answer it (see PtySession.ask).
 */
export function ApprovalPrompt(props: ApprovalPromptProps) {
  const l = layoutPrompt(props, props.columns);
  const pieces = [
    l.question ? (
      <Text bold color="yellow">
        {l.question}
      </Text>
    ) : null,
    l.lead ? <Text>{l.lead}</Text> : null,
    l.detail ? <Text color="cyan">{l.detail}</Text> : null,
    l.input !== null ? (
      <Text bold underline>
        {l.input}
      </Text>
    ) : null,
    l.choices ? <Text bold>{l.choices}</Text> : null,
  ].filter((piece) => piece !== null);
  return (
    <Text wrap="truncate-end">
      {pieces.map((piece, i) => (
        <Fragment key={i}>
          {i > 0 ? ' ' : ''}
          {piece}
        </Fragment>
      ))}
    </Text>
  );
}
