import { Box, Text } from './ink.js';
import { LEVEL_COLOR, levelOf } from './levels.js';
import { Row } from './row.js';

export interface SummaryApproval {
  /** What was asked, e.g. "budget reached: raise $1.50 → $3.00". */
  readonly question: string;
  /** e.g. "approved", "declined", "no answer". */
  readonly answer: string;
}

export interface SummaryLine {
  readonly name: string;
  /** e.g. "$0.42" or "$0.42 · 12 requests". */
  readonly value: string;
}

export interface RunSummaryProps {
  /** e.g. "$1.49". */
  readonly spent: string;
  /** The budget requested at the start, e.g. "$1.50"; null without a dollar cap. */
  readonly requested: string | null;
  /** e.g. "99%"; null without a dollar cap. */
  readonly consumed: string | null;
  /** spent / requested, for the colour of the consumed share. */
  readonly fraction: number | null;
  readonly approvals: readonly SummaryApproval[];
  /** Why a hard stop ended the run; null when none did. */
  readonly hardStop: string | null;
  readonly phases: readonly SummaryLine[];
  readonly models: readonly SummaryLine[];
  /** e.g. "agent exit code 0" or "exit 3 (stopped at the limit)". */
  readonly exit: string;
  readonly recordFile?: string | null;
  /** Terminal width; the summary is at most 76 columns wide. */
  readonly columns: number;
}

/** Printed on stderr after the run: what it cost, what was asked, and how it ended. */
export function RunSummary(props: RunSummaryProps) {
  const width = Math.max(20, Math.min(76, props.columns));
  const color = LEVEL_COLOR[levelOf(props.fraction)];
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={props.hardStop ? 'red' : 'gray'} paddingX={1} width={width}>
      <Row label="spent">
        <Text bold color={color}>
          {props.spent}
        </Text>
        {props.requested ? ` of ${props.requested} requested` : ''}
        {props.consumed ? ` (${props.consumed} consumed)` : ''}
      </Row>
      <Row label="hard stop">{props.hardStop ? <Text color="red">{props.hardStop}</Text> : 'no'}</Row>
      <Row label="approvals">{props.approvals.length === 0 ? 'none asked' : `${props.approvals.length} asked`}</Row>
      {props.approvals.map((a, i) => (
        <Row key={`a${i}`} label="">
          {a.question}: <Text bold>{a.answer}</Text>
        </Row>
      ))}
      {props.phases.map((p, i) => (
        <Row key={`p${i}`} label={i === 0 ? 'by phase' : ''}>
          {`${p.name} ${p.value}`}
        </Row>
      ))}
      {props.models.map((m, i) => (
        <Row key={`m${i}`} label={i === 0 ? 'by model' : ''} truncate>
          {`${m.name} ${m.value}`}
        </Row>
      ))}
      <Row label="exit">{props.exit}</Row>
      {props.recordFile ? <Row label="record">{props.recordFile}</Row> : null}
    </Box>
  );
}
