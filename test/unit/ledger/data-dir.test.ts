import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, dataDir } from '../../../src/ledger/data-dir.js';

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

describe('cacheDir', () => {
  it('is CAPPED_HOME/cache, then the XDG cache directory, then ~/.cache', () => {
    expect(cacheDir({ CAPPED_HOME: '/srv/capped', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/srv/capped/cache');
    expect(cacheDir({ CAPPED_HOME: 'rel/dir' }, '/home/u')).toBe(path.resolve('rel/dir', 'cache'));
    expect(cacheDir({ XDG_CACHE_HOME: '/cache' }, '/home/u')).toBe('/cache/capped');
    expect(cacheDir({}, '/home/u')).toBe('/home/u/.cache/capped');
    expect(cacheDir({ CAPPED_HOME: '', XDG_CACHE_HOME: '' }, '/home/u')).toBe('/home/u/.cache/capped');
  });
});
