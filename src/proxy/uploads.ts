import type { AgentRequest } from './agent-request.js';
import type { AgentResponse } from './agent-response.js';
import { passThrough, type ProxyNotice } from './exchange.js';
import { asRecord, asString, tryParse } from './providers/json.js';
import type { Route } from './proxy-deps.js';

/** Batch input files larger than this are passed on but not kept: a batch naming one is refused. */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;
/** Files kept at once (the oldest goes first). */
const MAX_KEPT_FILES = 16;

/**
 * Batch input files the agent uploaded through capped (OpenAI `POST /files`, purpose `batch`), by
 * the id the upstream gave them, so a batch that names one can be priced before it is sent.
 */
export class SeenUploads {
  private readonly files = new Map<string, string>();

  get(id: string): string | undefined {
    return this.files.get(id);
  }

  add(id: string, content: string): void {
    this.files.set(id, content);
    if (this.files.size > MAX_KEPT_FILES) this.files.delete(this.files.keys().next().value!);
  }
}

/** The `purpose` and `file` fields of a multipart/form-data body; null when it is not one. */
export function multipartFields(contentType: string, body: Buffer): { purpose: string | null; file: string | null } | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!contentType.toLowerCase().startsWith('multipart/form-data') || !boundary) return null;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const fields: { purpose: string | null; file: string | null } = { purpose: null, file: null };
  for (const part of body.toString('utf8').split(delimiter).slice(1)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, headerEnd))?.[1];
    // The part's content ends with the CRLF before the next delimiter.
    const content = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    if (name === 'purpose') fields.purpose = content.trim();
    if (name === 'file') fields.file = content;
  }
  return fields;
}

/**
 * Forwards a file upload unchanged (it costs nothing) while keeping a copy of a batch input file,
 * remembered under the id in the upstream's answer.
 */
export function passUpload(
  route: Route,
  req: AgentRequest,
  res: AgentResponse,
  pathAndQuery: string,
  notify: (notice: ProxyNotice) => void,
  uploads: SeenUploads,
): Promise<void> {
  const sent: Buffer[] = [];
  let sentBytes = 0;
  return passThrough(route, req, res, pathAndQuery, null, notify, {
    sent: (chunk) => {
      sentBytes += chunk.length;
      if (sentBytes <= MAX_KEPT_BYTES) sent.push(chunk);
    },
    answered: (status, answer) => {
      const id = asString(asRecord(tryParse(answer.toString('utf8')))?.id);
      const fields = sentBytes <= MAX_KEPT_BYTES ? multipartFields(String(req.headers['content-type'] ?? ''), Buffer.concat(sent)) : null;
      if (status < 300 && id && fields?.purpose === 'batch' && fields.file !== null) uploads.add(id, fields.file);
    },
  });
}
