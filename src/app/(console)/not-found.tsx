import Link from 'next/link';

export const metadata = { title: 'Not found · Automations Console' };

/** A 404 inside the shell: the operator keeps the navigation and gets a way back. */
export default function ConsoleNotFound() {
  return (
    <section aria-labelledby="not-found-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h1 id="not-found-title" className="text-xl font-semibold">
        No such page
      </h1>
      <p className="mt-2 text-sm text-slate-600">Nothing lives at this address. It may have been mistyped, or the link is older than the console.</p>
      <Link href="/automations" className="tap mt-3 text-sm font-medium text-indigo-700 underline">
        Back to the automations board
      </Link>
    </section>
  );
}
