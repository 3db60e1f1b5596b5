import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDir } from '../../../src/ledger/data-dir.js';

describe('dataDir', () => {
  it('prefers CAPPED_HOME, resolved to an absolute path', () => {
    expect(dataDir({ CAPPED_HOME: '/srv/capped', XDG_DATA_HOME: '/x' }, '/home/u')).toBe('/srv/capped');
    expect(dataDir({ CAPPED_HOME: 'rel/dir' }, '/home/u')).toBe(path.resolve('rel/dir'));
  });

  it('then the XDG data directory, then ~/.local/share', () => {
    expect(dataDir({ XDG_DATA_HOME: '/data' }, '/home/u')).toBe('/data/capped');
    expect(dataDir({}, '/home/u')).toBe('/home/u/.local/share/capped');
    expect(dataDir({ CAPPED_HOME: '', XDG_DATA_HOME: '' }, '/home/u')).toBe('/home/u/.local/share/capped');
  });
});
