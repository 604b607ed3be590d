/** The landing page (`/`): links to the two pages, keeping the query (room, address) and fragment (authkey). */
import './styles.css';

for (const link of document.querySelectorAll<HTMLAnchorElement>('a.link-card')) {
  // Served as index.html from a static host, the pages are worker.html and master.html.
  const page = link.getAttribute('href') ?? '';
  const target = location.pathname.endsWith('.html') ? `${page}.html` : page;
  link.href = `${target}${location.search}${location.hash}`;
}
