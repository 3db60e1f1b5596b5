/** The bytes json-string.wat compiles to. */
export function compileWat(): Promise<Buffer>;
/** The text of json-string-wasm.ts for those bytes. */
export function moduleText(bytes: Buffer): string;
export const WAT_FILE: string;
export const TS_FILE: string;
