/** Newer / Older buttons over a cursor-paged list, newest page first. */
export function Pager({ hasNewer, hasOlder, onNewer, onOlder }: { hasNewer: boolean; hasOlder: boolean; onNewer(): void; onOlder(): void }) {
  const button = 'rounded-md border border-slate-300 px-2 py-1 text-sm disabled:opacity-40';
  return (
    <div className="mt-3 flex gap-2">
      <button type="button" disabled={!hasNewer} onClick={onNewer} className={button}>
        Newer
      </button>
      <button type="button" disabled={!hasOlder} onClick={onOlder} className={button}>
        Older
      </button>
    </div>
  );
}
