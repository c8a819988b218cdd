/**
 * The enabled sites, each with what its tabs reported and a "Disable" button (named just "Disable"; the site it
 * belongs to is its accessible description).
 */
import type { Ref } from 'preact';
import type { SiteInfo } from '../shared/messages';
import { PROBLEM_TEXT } from './problems';

export interface SiteListProps {
  /** `undefined` while loading. */
  sites: readonly SiteInfo[] | undefined;
  /** The site being disabled, if any. */
  disabling: string | undefined;
  onDisable(origin: string): void;
  /** The heading, focused after a site's row (and its focused button) disappears. */
  headingRef: Ref<HTMLHeadingElement>;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function SiteList({ sites, disabling, onDisable, headingRef }: SiteListProps) {
  return (
    <section class="sites" aria-labelledby="sites-heading">
      <h2 id="sites-heading" ref={headingRef} tabIndex={-1}>
        Enabled sites
      </h2>
      {sites === undefined ? (
        <p class="muted">Loading…</p>
      ) : sites.length === 0 ? (
        <p class="muted">No site is enabled yet: Framelock does not run on any site.</p>
      ) : (
        <ul class="site-list" aria-labelledby="sites-heading">
          {sites.map((site, index) => (
            <SiteItem
              key={site.origin}
              site={site}
              id={`site-${index}`}
              busy={disabling === site.origin}
              onDisable={onDisable}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

interface SiteItemProps {
  site: SiteInfo;
  id: string;
  busy: boolean;
  onDisable(origin: string): void;
}

function SiteItem({ site, id, busy, onDisable }: SiteItemProps) {
  const problemsId = `${id}-problems`;
  return (
    <li class="site">
      <div class="site-head">
        <span class="site-origin" id={`${id}-origin`}>
          {site.origin}
        </span>
        <button
          type="button"
          class="secondary"
          aria-describedby={`${id}-origin`}
          aria-disabled={busy ? 'true' : undefined}
          onClick={() => {
            if (!busy) onDisable(site.origin);
          }}
        >
          Disable
        </button>
      </div>
      <p class="muted">Enabled {dateFormat.format(new Date(site.enabledAt))}</p>
      {site.problems.length === 0 ? (
        <p class="site-ok">No problems reported so far.</p>
      ) : (
        <ul class="problems" id={problemsId} aria-label={`Problems on ${site.origin}`}>
          {site.problems.map((problem) => (
            <li key={problem} class="problem">
              {PROBLEM_TEXT[problem]}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
