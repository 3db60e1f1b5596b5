/**
 * Source code as models write it: a newline every ~30 characters, double quotes and a tab now and
 * then, so JSON escapes one character in about 20 (an answer's text is what capped's meter reads
 * byte by byte). One function's worth; the benches repeat it as far as they need.
 */
export const SOURCE_TEXT = [
  'export function total(items) {',
  '  let sum = 0;',
  '  for (const item of items) {',
  '\tif (item.kind === "fee") continue;',
  '    sum += item.price * item.qty;',
  '  }',
  '  console.log(`total: ${sum}`);',
  '  return { sum, label: "EUR" };',
  '}',
  '',
].join('\n');
