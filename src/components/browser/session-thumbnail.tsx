'use client';
import { useEffect } from 'react';
import { trpc } from '@/lib/trpc';

/**
 * The thumbnail the server took after the session's last action. Reading it never touches the page (so it does
 * not keep the session alive); it is fetched again when `thumbnailAt` says a newer one exists.
 */
export function SessionThumbnail({ id, thumbnailAt, label }: { id: string; thumbnailAt: string | null; label: string }) {
  const utils = trpc.useUtils();
  const thumbnail = trpc.browser.thumbnail.useQuery({ id }, { enabled: thumbnailAt !== null, staleTime: Number.POSITIVE_INFINITY });

  useEffect(() => {
    if (thumbnailAt !== null) void utils.browser.thumbnail.invalidate({ id });
  }, [thumbnailAt, id, utils]);

  if (thumbnailAt === null) return <p className="flex h-full items-center justify-center text-xs text-slate-500">No picture yet</p>;
  if (!thumbnail.data?.dataUrl)
    return <p className="flex h-full items-center justify-center text-xs text-slate-500">{thumbnail.isError ? 'Thumbnail unavailable' : 'Loading…'}</p>;
  return <img src={thumbnail.data.dataUrl} alt={`Thumbnail of ${label}`} className="h-full w-full object-cover object-top" />;
}
