import { notFound } from 'next/navigation';

/** Any path no page claims: the 404 below, inside the console's frame (navigation, sign-out) rather than bare. */
export default function MissingPage(): never {
  notFound();
}
