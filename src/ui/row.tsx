import { Box, Text } from './ink.js';
import type { ReactNode } from 'react';
import { LABEL_WIDTH } from './row-layout.js';

/** A dim label and its value; the value wraps in its own column (or is cut with an ellipsis). */
export function Row({ label, children, truncate = false }: { readonly label: string; readonly children: ReactNode; readonly truncate?: boolean }) {
  return (
    <Box>
      <Box width={LABEL_WIDTH} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap={truncate ? 'truncate-end' : 'wrap'}>{children}</Text>
      </Box>
    </Box>
  );
}
