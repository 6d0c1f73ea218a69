import { useState } from 'preact/hooks';

// Cursor paging: the API only goes forward, so the cursors of the pages seen are kept to go back.

export interface CursorPages {
  /** 0 for the first page. */
  index: number;
  /** The cursor of the page shown (null: the first). */
  cursor: string | null;
  forward: (nextCursor: string) => void;
  back: () => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    index: cursors.length - 1,
    cursor: cursors[cursors.length - 1],
    forward: (nextCursor) => setCursors([...cursors, nextCursor]),
    back: () => setCursors(cursors.slice(0, -1)),
  };
}

/** Back and forward buttons around the page number; lists newest first say Newer / Older. */
export function Pager({ pages, nextCursor, labels = ['Previous', 'Next'] }: { pages: CursorPages; nextCursor: string | null; labels?: readonly [string, string] }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={pages.index === 0} onClick={pages.back}>
        {labels[0]}
      </button>
      <span>Page {pages.index + 1}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.forward(nextCursor)}>
        {labels[1]}
      </button>
    </nav>
  );
}
