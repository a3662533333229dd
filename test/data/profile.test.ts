/** CSV parsing (RFC 4180) and the tabular profile, checked against values worked out by hand. */
import assert from 'node:assert/strict';
import { profileCsv, type ColumnProfile, type FileProfile } from '../../activities/data';
import { CsvParser } from '../../activities/data/csv-parser';
import { rejectsWithType } from './helpers';

const FIXTURE = [
  'id,age,income,plan,active,signup,note',
  '1,23,1000.5,basic,true,2024-01-05,"hello, world"',
  '2,35,,pro,false,2024-02-10T08:30:00Z,"multi',
  'line"',
  '3,NA,2500,basic,TRUE,2024-03-15,"say ""hi"""',
  '4,41,3000.25,enterprise,false,2024-04-20,',
  '5,29,null,basic,true,2024-05-25,plain',
  '',
].join('\r\n');

function parse(text: string, chunk = text.length): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  const parser = new CsvParser('t.csv', (fields, line) => records.push({ fields, line }));
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  parser.end();
  return records;
}

function column(profile: FileProfile, name: string): ColumnProfile {
  const found = profile.columns.find((c) => c.name === name);
  assert.ok(found, `column ${name}`);
  return found;
}

function quantiles(c: ColumnProfile): Record<string, number> {
  return Object.fromEntries((c.numeric?.quantiles ?? []).map(({ q, value }) => [String(q), Number(value.toFixed(6))]));
}

describe('CSV parser', function () {
  it('reads quoted commas, doubled quotes, line breaks inside quotes, CRLF and a last line without a break', function () {
    assert.deepEqual(parse('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n3,4'), [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x, y', 'say "hi"'], line: 2 },
      { fields: ['multi\nline', ''], line: 3 },
      { fields: ['3', '4'], line: 5 },
    ]);
  });

  it('gives the same records whatever the chunk boundaries, even inside a CRLF or a doubled quote', function () {
    const whole = parse(FIXTURE);
    for (const size of [1, 2, 3, 7]) assert.deepEqual(parse(FIXTURE, size), whole);
  });

  it('skips empty lines and keeps a trailing empty field', function () {
    assert.deepEqual(
      parse('a,b\n\n1,\n').map((r) => r.fields),
      [
        ['a', 'b'],
        ['1', ''],
      ],
    );
  });

  it('refuses text after a closing quote and a quote that is never closed', function () {
    assert.throws(() => parse('a,b\n"x"y,1\n'), /t\.csv: line 2: unexpected character after a closing quote/);
    assert.throws(() => parse('a,b\n1,"open\n'), /t\.csv: line 2: a quoted field is never closed/);
  });
});

describe('CSV profile', function () {
  let profile: FileProfile;

  before(async function () {
    profile = await profileCsv([Buffer.from(FIXTURE)], 'train.csv');
  });

  it('infers the schema and counts rows', function () {
    assert.equal(profile.rows, 5);
    assert.deepEqual(
      profile.columns.map((c) => [c.name, c.type]),
      [
        ['id', 'integer'],
        ['age', 'integer'],
        ['income', 'number'],
        ['plan', 'string'],
        ['active', 'boolean'],
        ['signup', 'datetime'],
        ['note', 'string'],
      ],
    );
  });

  it('counts empty, NA and null as nulls', function () {
    assert.deepEqual(
      profile.columns.map((c) => [c.name, c.nulls, c.nullRate]),
      [
        ['id', 0, 0],
        ['age', 1, 0.2],
        ['income', 2, 0.4],
        ['plan', 0, 0],
        ['active', 0, 0],
        ['signup', 0, 0],
        ['note', 1, 0.2],
      ],
    );
  });

  it('computes exact numeric stats and linearly interpolated quantiles', function () {
    const age = column(profile, 'age'); // 23, 29, 35, 41
    assert.equal(age.numeric?.min, 23);
    assert.equal(age.numeric?.max, 41);
    assert.equal(age.numeric?.mean, 32);
    assert.equal(age.numeric?.std.toFixed(9), Math.sqrt(60).toFixed(9));
    assert.deepEqual(quantiles(age), {
      '0': 23,
      '0.01': 23.18,
      '0.05': 23.9,
      '0.1': 24.8,
      '0.25': 27.5,
      '0.5': 32,
      '0.75': 36.5,
      '0.9': 39.2,
      '0.95': 40.1,
      '0.99': 40.82,
      '1': 41,
    });
    assert.equal(age.numeric?.sampleSize, 4);
    const income = column(profile, 'income'); // 1000.5, 2500, 3000.25
    assert.equal(quantiles(income)['0.5'], 2500);
    assert.equal(quantiles(income)['0.25'], 1750.25);
  });

  it('builds a 20-bin histogram from min to max', function () {
    const id = column(profile, 'id'); // 1..5: bins of width 0.2
    assert.equal(id.numeric?.histogram.edges.length, 21);
    assert.equal(id.numeric?.histogram.edges[0], 1);
    assert.equal(id.numeric?.histogram.edges[20], 5);
    const counts = id.numeric?.histogram.counts ?? [];
    assert.deepEqual(
      counts.flatMap((count, bin) => (count > 0 ? [[bin, count]] : [])),
      [
        [0, 1],
        [5, 1],
        [10, 1],
        [15, 1],
        [19, 1],
      ],
    );
  });

  it('lists category frequencies, most frequent first, ties in byte order', function () {
    const plan = column(profile, 'plan');
    assert.deepEqual(plan.categories, [
      { value: 'basic', count: 3 },
      { value: 'enterprise', count: 1 },
      { value: 'pro', count: 1 },
    ]);
    assert.equal(plan.otherCount, 0);
    assert.equal(plan.distinct, 3);
    assert.deepEqual(plan.distinctValues, ['basic', 'enterprise', 'pro']);
    assert.deepEqual(column(profile, 'note').distinctValues, ['hello, world', 'multi\r\nline', 'plain', 'say "hi"']);
  });

  it('samples a large column deterministically: the same bytes give the same profile', async function () {
    const rows = ['x,label'];
    for (let i = 0; i < 100_000; i++) rows.push(`${i},${i % 3 === 0 ? 'a' : 'b'}`);
    const text = Buffer.from(rows.join('\n'));
    const [one, two] = await Promise.all([profileCsv([text], 'big.csv'), profileCsv([text], 'big.csv')]);
    assert.deepEqual(one, two);
    const x = column(one, 'x');
    assert.equal(x.numeric?.sampleSize, 32_768);
    assert.equal(x.numeric?.min, 0);
    assert.equal(x.numeric?.max, 99_999);
    assert.ok(Math.abs(quantiles(x)['0.5']! - 50_000) < 1500, `median ${quantiles(x)['0.5']}`);
    assert.equal(
      x.numeric?.histogram.counts.reduce((a, b) => a + b, 0),
      100_000,
    );
    assert.deepEqual(column(one, 'label').categories, [
      { value: 'b', count: 66_666 },
      { value: 'a', count: 33_334 },
    ]);
  });

  it('names the file and line of a ragged row', async function () {
    const ragged = 'a,b\n"x\ny",1\n2\n';
    await rejectsWithType(
      profileCsv([Buffer.from(ragged)], 'data/bad.csv'),
      'DatasetInvalid',
      /data\/bad\.csv line 4: 1 field, but the header has 2/,
    );
  });

  it('refuses bytes that are not UTF-8', async function () {
    await rejectsWithType(
      profileCsv([Buffer.from([0x61, 0x0a, 0xff, 0x0a])], 'x.csv'),
      'DatasetInvalid',
      /x\.csv: not valid UTF-8/,
    );
  });
});
