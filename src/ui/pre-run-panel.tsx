import { Box, Text } from './ink.js';
import { Row } from './row.js';

export interface PreRunPanelProps {
  /** The agent command as typed, e.g. "claude". */
  readonly command: string;
  /** The run's selected model; null when the agent picks (shown as "agent's default"). */
  readonly model: string | null;
  /** e.g. "$1.50". */
  readonly maxSpend: string;
  /** e.g. "≈ 100,000 output tokens at $15.00/M output"; null when the model's price is unknown. */
  readonly tokenEquivalent: string | null;
  /** Further caps, e.g. ["max 200,000 tokens", "max 50 tool actions"]. */
  readonly otherCaps?: readonly string[];
  /** What happens at the limit, e.g. "ask: pause the agent and ask for more". */
  readonly atLimit: string;
  /** e.g. "asks first", "not allowed". */
  readonly escalation: string;
  /** e.g. "not allowed: a limit with nobody at the keyboard stops the run". */
  readonly unattended: string;
  /** e.g. "10m" or "off". */
  readonly idle: string;
  /** What runs of this repo (and agent) cost recently, e.g. "median $0.80, p90 $1.90 (12 runs)"; absent without history. */
  readonly history?: string | null;
  /** A warning when the cap is below the repo's median run. */
  readonly warning?: string | null;
  /** Terminal width; the panel is at most 76 columns wide. */
  readonly columns: number;
}

/** Printed on stderr before the agent starts: what this run may spend and what happens then. */
export function PreRunPanel(props: PreRunPanelProps) {
  const width = Math.max(20, Math.min(76, props.columns));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
      <Text>
        <Text bold>capped</Text> <Text dimColor>run:</Text> {props.command}
      </Text>
      <Row label="model" truncate>
        {props.model ?? "agent's default"}
      </Row>
      {/* One string: Ink keeps a stray space where nested texts wrap. */}
      <Row label="max spend">{props.tokenEquivalent ? `${props.maxSpend} ${props.tokenEquivalent}` : props.maxSpend}</Row>
      {(props.otherCaps ?? []).map((cap) => (
        <Row key={cap} label="">
          {cap}
        </Row>
      ))}
      <Row label="at the limit">{props.atLimit}</Row>
      <Row label="escalation">{props.escalation}</Row>
      <Row label="unattended">{props.unattended}</Row>
      <Row label="idle window">{props.idle}</Row>
      {props.history ? <Row label="recent runs">{props.history}</Row> : null}
      {props.warning ? (
        <Row label="">
          <Text color="yellow">warning: {props.warning}</Text>
        </Row>
      ) : null}
    </Box>
  );
}
