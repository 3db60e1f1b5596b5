import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/errors.js';
import { findPolicyFile } from '../../../src/config/discover.js';
import { ConfigError } from '../../../src/config/errors.js';
import { displayPath, parsePolicyText, readPolicyFile } from '../../../src/config/policy-file.js';

const FILE = '/repo/.budgetrc';

function parse(text: string, origin: 'file' | 'user' = 'file') {
  return parsePolicyText(text, { path: FILE, display: '.budgetrc', origin });
}

/** The ConfigError a text raises, as its lines. */
function problems(text: string, origin: 'file' | 'user' = 'file'): readonly string[] {
  try {
    parse(text, origin);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(EXIT.usage);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePolicyText: valid files', () => {
  it('reads every kind of value and records the key position as its source', () => {
    const file = parse(
      [
        'policy: team',
        'maxUsd: 1.50',
        'maxTokens: 200k',
        'maxActions: 0',
        'onLimit: downgrade',
        'downgradeTo: claude-haiku-4-5',
        'idle: 90s',
        'unattended: no',
        'verifyShare: 25%',
        'restrictedTools: [WebSearch, WebFetch]',
        'verifyPatterns:',
        '  - "\\\\bmake check\\\\b"',
        'ledger:',
        '  url: postgres://capped@ledger.example.com/capped',
        'retentionDays: 14',
        'daily: $20',
        'ceilings:',
        '  maxUsd: 5',
        'prices:',
        '  my-model: {input: 1, output: 2}',
      ].join('\n'),
    );
    const values = Object.fromEntries(Object.entries(file.entries).map(([key, entry]) => [key, entry.value]));
    expect(values).toEqual({
      policy: 'team',
      maxUsd: 1.5,
      maxTokens: 200_000,
      maxActions: 0,
      onLimit: 'downgrade',
      downgradeTo: 'claude-haiku-4-5',
      idle: 90_000,
      unattended: false,
      verifyShare: 0.25,
      restrictedTools: ['WebSearch', 'WebFetch'],
      verifyPatterns: ['\\bmake check\\b'],
      'ledger.url': 'postgres://capped@ledger.example.com/capped',
      retentionDays: 14,
      daily: 20,
      'ceilings.maxUsd': 5,
      prices: { 'my-model': { input: 1, output: 2, cacheRead: 1, cacheWrite: 1 } },
    });
    expect(file.entries.maxUsd!.source).toEqual({ kind: 'file', file: FILE, line: 2, column: 1 });
    expect(file.entries['ledger.url']!.source).toEqual({ kind: 'file', file: FILE, line: 14, column: 3 });
    expect(file.entries['ceilings.maxUsd']!.source).toEqual({ kind: 'file', file: FILE, line: 18, column: 3 });
  });

  it('reads JSON', () => {
    const file = parse('{\n\t"maxUsd": 2,\n\t"ledger": {"url": "postgresql://127.0.0.1:9000/db"},\n\t"idle": "off"\n}\n');
    expect(file.entries.maxUsd!.value).toBe(2);
    expect(file.entries['ledger.url']!.value).toBe('postgresql://127.0.0.1:9000/db');
    expect(file.entries.idle!.value).toBeNull();
  });

  it('treats an empty or comment-only file as setting nothing', () => {
    expect(parse('').entries).toEqual({});
    expect(parse('# nothing yet\n').entries).toEqual({});
  });

  it('accepts a dotted key at the top level', () => {
    expect(parse('ledger.url: postgres://x.example/db').entries['ledger.url']!.value).toBe('postgres://x.example/db');
  });
});

describe('parsePolicyText: exact errors (file, line, column, key, expected, found)', () => {
  it('names a bad value with its position, what was expected and what was found', () => {
    expect(problems('# policy\n\nmaxUsd:   abc\n')).toEqual(['.budgetrc:3:11: maxUsd: expected a positive number of dollars, found "abc".']);
  });

  it.each([
    ['maxUsd: -1', '.budgetrc:1:9: maxUsd: expected a positive number of dollars, found -1.'],
    ['maxUsd: 0', '.budgetrc:1:9: maxUsd: expected a positive number of dollars, found 0.'],
    ['maxUsd: 2000000', '.budgetrc:1:9: maxUsd: expected at most $1,000,000, found 2000000.'],
    ['maxUsd:', '.budgetrc:1:8: maxUsd: expected a positive number of dollars, found an empty value.'],
    ['maxUsd: [1]', '.budgetrc:1:9: maxUsd: expected a positive number of dollars, found a list.'],
    ['maxTokens: lots', '.budgetrc:1:12: maxTokens: expected a positive whole number of tokens (e.g. 200000 or 200k), found "lots".'],
    ['maxActions: 1.5', '.budgetrc:1:13: maxActions: expected a whole number (e.g. 50), found 1.5.'],
    ['onLimit: halt', '.budgetrc:1:10: onLimit: expected one of stop, ask, downgrade, pause, found "halt".'],
    ['escalation: maybe', '.budgetrc:1:13: escalation: expected one of ask, deny, allow, found "maybe".'],
    ['escalationDeny: drop', '.budgetrc:1:17: escalationDeny: expected one of send-selected, refuse, found "drop".'],
    ['idle: 10', '.budgetrc:1:7: idle: expected a duration such as 90s, 10m or 1h, or off, found 10.'],
    ['idle: 10 minutes', '.budgetrc:1:7: idle: expected a duration such as 90s, 10m or 1h, or off, found "10 minutes".'],
    ['unattended: sometimes', '.budgetrc:1:13: unattended: expected true or false, found "sometimes".'],
    ['verifyShare: 1.5', '.budgetrc:1:14: verifyShare: expected a share greater than 0 and at most 1 (e.g. 0.4 or 40%), found 1.5.'],
    ['verifyUsd: free', '.budgetrc:1:12: verifyUsd: expected a positive number of dollars, found "free".'],
    ['model: two words', '.budgetrc:1:8: model: expected a model id (e.g. claude-sonnet-4-5), found "two words".'],
    ['policy: lax', '.budgetrc:1:9: policy: expected one of individual, team, strict, found "lax".'],
    ['retentionDays: 0', '.budgetrc:1:16: retentionDays: expected a whole number of days, at least 1, found 0.'],
    ['ledger:\n  url: ftp://x', '.budgetrc:2:8: ledger.url: expected a PostgreSQL URL like postgres://user@host/db, found "ftp://x".'],
    ['ledger:\n  url: mysql://me:pw@db/x', '.budgetrc:2:8: ledger.url: expected a PostgreSQL URL like postgres://user@host/db, found "mysql://me:***@db/x".'],
    ['ledger: postgres://x.example/db', '.budgetrc:1:9: ledger: expected a mapping of url, found "postgres://x.example/db".'],
    ['restrictedTools: WebSearch', '.budgetrc:1:18: restrictedTools: expected a list of tool names (e.g. [WebSearch, WebFetch]), found "WebSearch".'],
    ['restrictedTools:\n  - WebSearch\n  - 42\n', '.budgetrc:3:5: restrictedTools[1]: expected a tool name, found 42.'],
    ['ceilings:\n  maxUsd: lots', '.budgetrc:2:11: ceilings.maxUsd: expected a positive number of dollars, found "lots".'],
  ])('%j', (text, message) => {
    expect(problems(text)).toEqual([message]);
  });

  it('names an invalid regular expression with the reason', () => {
    expect(problems('verifyPatterns:\n  - ok\n  - "(unclosed"\n')).toEqual([
      '.budgetrc:3:5: verifyPatterns[1]: expected a valid regular expression (Invalid regular expression: /(unclosed/: Unterminated group), found "(unclosed".',
    ]);
  });

  it('points into price overrides', () => {
    expect(problems('prices:\n  my-model:\n    input: 1\n    output: cheap\n')).toEqual([
      '.budgetrc:4:13: prices.my-model.output: expected dollars per million tokens (e.g. 3 or 0.25), found "cheap".',
    ]);
    expect(problems('prices:\n  my-model:\n    input: 1\n')).toEqual([
      '.budgetrc:3:5: prices.my-model: expected an output price in dollars per million tokens, found nothing.',
    ]);
    expect(problems('prices:\n  my-model:\n    input: 1\n    output: 2\n    cachRead: 1\n')).toEqual([
      '.budgetrc:5:5: unknown key "prices.my-model.cachRead" — did you mean "prices.my-model.cacheRead"?',
    ]);
  });

  it('reports an unknown key with a did-you-mean', () => {
    expect(problems('maxUsd: 1\nonLimit: stop\n\n\nmaxUSD: 2\n')).toEqual(['.budgetrc:5:1: unknown key "maxUSD" — did you mean "maxUsd"?']);
    expect(problems('max_tokens: 5')).toEqual(['.budgetrc:1:1: unknown key "max_tokens" — did you mean "maxTokens"?']);
    expect(problems('retentionDay: 5')).toEqual(['.budgetrc:1:1: unknown key "retentionDay" — did you mean "retentionDays"?']);
    expect(problems('ledgerUrl: postgres://x.example/db')).toEqual(['.budgetrc:1:1: unknown key "ledgerUrl" — did you mean "ledger.url"?']);
    expect(problems('ledger:\n  uri: postgres://x.example/db')).toEqual(['.budgetrc:2:3: unknown key "ledger.uri" — did you mean "ledger.url"?']);
    expect(problems('ceilings:\n  maxUSD: 1')).toEqual(['.budgetrc:2:3: unknown key "ceilings.maxUSD" — did you mean "ceilings.maxUsd"?']);
  });

  it('says how to find the keys when nothing is close', () => {
    expect(problems('colour: blue')).toEqual(['.budgetrc:1:1: unknown key "colour"; `capped config` lists every key.']);
  });

  it('lists every problem in the file, in order', () => {
    expect(problems('maxUsd: abc\nzzz: 1\nonLimit: halt\n')).toEqual([
      '.budgetrc:1:9: maxUsd: expected a positive number of dollars, found "abc".',
      '.budgetrc:2:1: unknown key "zzz"; `capped config` lists every key.',
      '.budgetrc:3:10: onLimit: expected one of stop, ask, downgrade, pause, found "halt".',
    ]);
  });

  it('reports broken YAML with its position', () => {
    expect(problems('maxUsd: 1\nonLimit: "stop\n')).toEqual(['.budgetrc:3:1: not valid YAML or JSON: Missing closing "quote.']);
    expect(problems('maxUsd: 1\nmaxUsd: 2\n')).toEqual(['.budgetrc:2:1: not valid YAML or JSON: Map keys must be unique.']);
    expect(problems('{"maxUsd": 1,,}')[0]).toMatch(/^\.budgetrc:1:14: not valid YAML or JSON: /);
  });

  it('rejects a file that is not a mapping', () => {
    expect(problems('- maxUsd: 1\n')).toEqual(['.budgetrc:1:1: expected a mapping of settings (e.g. maxUsd: 1.50), found a list.']);
    expect(problems('just text\n')).toEqual(['.budgetrc:1:1: expected a mapping of settings (e.g. maxUsd: 1.50), found "just text".']);
  });

  it('rejects a key set twice through the dotted and nested forms', () => {
    expect(problems('ledger:\n  url: postgres://a.example/db\nledger.url: postgres://b.example/db\n')).toEqual(['.budgetrc:3:1: ledger.url: set twice.']);
  });

  it('keeps ceilings out of the user config', () => {
    expect(problems('{"ceilings": {"maxUsd": 9}}', 'user')).toEqual([
      '.budgetrc:1:15: ceilings.maxUsd: ceilings can only be set in a .budgetrc, where they bind everyone who runs there.',
    ]);
  });
});

describe('discovery and reading', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capped-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('walks up from the working directory; the nearest file wins', () => {
    const root = tempDir();
    const deep = path.join(root, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    expect(findPolicyFile(deep)).toBeNull();
    writeFileSync(path.join(root, '.budgetrc'), 'maxUsd: 1\n');
    expect(findPolicyFile(deep)).toBe(path.join(root, '.budgetrc'));
    writeFileSync(path.join(root, 'a', '.budgetrc'), 'maxUsd: 2\n');
    expect(findPolicyFile(deep)).toBe(path.join(root, 'a', '.budgetrc'));
    expect(findPolicyFile(root)).toBe(path.join(root, '.budgetrc'));
  });

  it('ignores a directory named .budgetrc and stops at the filesystem root', () => {
    const root = tempDir();
    mkdirSync(path.join(root, '.budgetrc'));
    const seen: string[] = [];
    expect(findPolicyFile(path.join(root, 'x'), (file) => (seen.push(file), false))).toBeNull();
    expect(seen.at(-1)).toBe(path.join(path.parse(root).root, '.budgetrc'));
    expect(findPolicyFile(root, () => false)).toBeNull();
  });

  it('names the file relative to the working directory when inside it, else absolute', () => {
    const root = tempDir();
    const sub = path.join(root, 'sub');
    mkdirSync(sub);
    writeFileSync(path.join(root, '.budgetrc'), 'maxUsd: x\n');
    expect(() => readPolicyFile(path.join(root, '.budgetrc'), root)).toThrow(
      new ConfigError(['.budgetrc:1:9: maxUsd: expected a positive number of dollars, found "x".']),
    );
    expect(() => readPolicyFile(path.join(root, '.budgetrc'), sub)).toThrow(
      `${path.join(root, '.budgetrc')}:1:9: maxUsd: expected a positive number of dollars, found "x".`,
    );
    expect(displayPath('/repo/sub/.budgetrc', '/repo')).toBe(path.join('sub', '.budgetrc'));
  });

  it('reports an unreadable file as a config error', () => {
    const root = tempDir();
    expect(() => readPolicyFile(path.join(root, '.budgetrc'), root)).toThrow(/^\.budgetrc: cannot read it: ENOENT/);
  });
});
