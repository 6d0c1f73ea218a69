import { ResourceTable } from './resource.table.js';

interface Row {
  seq: number;
  key: string;
  even: boolean;
}

function table(n: number): ResourceTable<Row> {
  const t = new ResourceTable<Row>();
  for (let i = 1; i <= n; i++) t.add({ seq: i * 10, key: `/r/${i}`, even: i % 2 === 0 });
  return t;
}

describe('ResourceTable', () => {
  it('pages by seq cursor and gives the last page no continuation', () => {
    const t = table(5);
    const first = t.page(0, 2);
    expect(first.items.map((r) => r.seq)).toEqual([10, 20]);
    const second = t.page(first.nextAfterSeq!, 2);
    const last = t.page(second.nextAfterSeq!, 2);
    expect(last.items.map((r) => r.seq)).toEqual([50]);
    expect(last.nextAfterSeq).toBeNull();
    expect(t.page(0, 5).nextAfterSeq).toBeNull();
  });

  it('keeps a cursor valid across removals', () => {
    const t = table(6);
    const first = t.page(0, 2);
    t.remove('/R/3');
    expect(t.page(first.nextAfterSeq!, 2).items.map((r) => r.seq)).toEqual([40, 50]);
  });

  it('filters without an empty trailing page', () => {
    const t = table(6);
    const first = t.page(0, 2, (r) => r.even);
    expect(first.items.map((r) => r.seq)).toEqual([20, 40]);
    const last = t.page(first.nextAfterSeq!, 2, (r) => r.even);
    expect(last.items.map((r) => r.seq)).toEqual([60]);
    expect(last.nextAfterSeq).toBeNull();
    expect(t.page(0, 3, (r) => r.even).nextAfterSeq).toBeNull();
  });

  it('refuses duplicate keys', () => {
    const t = table(1);
    expect(() => t.add({ seq: 99, key: '/r/1', even: false })).toThrow(/Duplicate/);
  });
});
