import { describe, expect, it } from 'vitest';
import { multipartFields, SeenUploads } from '../../../src/proxy/uploads.js';

describe('multipartFields', () => {
  it('reads the purpose and the file of a multipart/form-data upload, as fetch builds it', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob(['{"a":1}\n{"b":2}\n']), 'batch.jsonl');
    const request = new Request('http://x/files', { method: 'POST', body: form });
    const body = Buffer.from(await request.arrayBuffer());
    expect(multipartFields(request.headers.get('content-type')!, body)).toEqual({ purpose: 'batch', file: '{"a":1}\n{"b":2}\n' });
  });

  it('accepts a quoted boundary, and is null for anything that is not multipart', () => {
    const body = Buffer.from('--b-1\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--b-1--\r\n');
    expect(multipartFields('multipart/form-data; boundary="b-1"', body)).toEqual({ purpose: 'batch', file: null });
    expect(multipartFields('application/json', Buffer.from('{}'))).toBeNull();
  });
});

describe('SeenUploads', () => {
  it('keeps the 16 latest files', () => {
    const uploads = new SeenUploads();
    for (let i = 0; i < 17; i++) uploads.add(`file-${i}`, `content ${i}`);
    expect(uploads.get('file-0')).toBeUndefined();
    expect(uploads.get('file-1')).toBe('content 1');
    expect(uploads.get('file-16')).toBe('content 16');
  });
});
