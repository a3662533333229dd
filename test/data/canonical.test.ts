/** The canonical manifest form and the snapshot id, as documented in activities/data/canonical.ts. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalManifest, snapshotIdOf } from '../../activities/data';

const digest = (n: number) => String(n).repeat(64).slice(0, 64);

describe('snapshot ids', function () {
  it('are the sha256 of the JSON list of [path, sha256, size] sorted by path in UTF-8 byte order', function () {
    const files = [
      { path: 'é.txt', sha256: digest(5), size: 5 },
      { path: 'a0', sha256: digest(3), size: 3 },
      { path: 'a/b', sha256: digest(2), size: 2 },
      { path: '\u{1F600}.bin', sha256: digest(6), size: 6 },
      { path: 'a-b', sha256: digest(1), size: 1 },
      { path: '\uFF21.txt', sha256: digest(4), size: 4 },
    ];
    const expected =
      `[["a-b","${digest(1)}",1],["a/b","${digest(2)}",2],["a0","${digest(3)}",3],` +
      `["é.txt","${digest(5)}",5],["\uFF21.txt","${digest(4)}",4],["\u{1F600}.bin","${digest(6)}",6]]`;
    assert.equal(canonicalManifest(files), expected);
    assert.equal(snapshotIdOf(files), createHash('sha256').update(expected, 'utf8').digest('hex'));
  });

  it('do not depend on the order the files are listed in', function () {
    const files = [
      { path: 'b', sha256: digest(1), size: 1 },
      { path: 'a', sha256: digest(2), size: 2 },
    ];
    assert.equal(snapshotIdOf(files), snapshotIdOf([...files].reverse()));
  });
});
