export default function Page() {
  return <main>bare Next.js app (footprint baseline)</main>;
}
