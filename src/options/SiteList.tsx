/**
 * The enabled sites, each with its rooms (their safety words, which one is in use), what its tabs reported, and a
 * "Disable" button (named just "Disable"; the site it belongs to is its accessible description). Each room has
 * "Use this room" (unless it is in use) and "Forget" buttons, described by the room's name.
 */
import type { Ref } from 'preact';
import type { RoomInfo, SiteInfo } from '../shared/messages';
import { PROBLEM_TEXT } from './problems';
import { roomName } from './rooms';

/** An action on one room that is under way. */
export interface RoomAction {
  origin: string;
  room: string;
}

export interface SiteListProps {
  /** `undefined` while loading. */
  sites: readonly SiteInfo[] | undefined;
  /** The site being disabled, if any. */
  disabling: string | undefined;
  /** The room being selected or forgotten, if any. */
  roomBusy: RoomAction | undefined;
  onDisable(origin: string): void;
  onSelectRoom(origin: string, room: string): void;
  onForgetRoom(origin: string, room: string): void;
  /** The heading, focused after a site's row (and its focused button) disappears. */
  headingRef: Ref<HTMLHeadingElement>;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function SiteList({
  sites,
  disabling,
  roomBusy,
  onDisable,
  onSelectRoom,
  onForgetRoom,
  headingRef,
}: SiteListProps) {
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
              busyRoom={roomBusy?.origin === site.origin ? roomBusy.room : undefined}
              onDisable={onDisable}
              onSelectRoom={onSelectRoom}
              onForgetRoom={onForgetRoom}
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
  busyRoom: string | undefined;
  onDisable(origin: string): void;
  onSelectRoom(origin: string, room: string): void;
  onForgetRoom(origin: string, room: string): void;
}

/** The default room first, then the others by name. */
function byName(a: RoomInfo, b: RoomInfo): number {
  return a.label === b.label ? 0 : a.label === '' ? -1 : b.label === '' ? 1 : a.label < b.label ? -1 : 1;
}

function SiteItem({ site, id, busy, busyRoom, onDisable, onSelectRoom, onForgetRoom }: SiteItemProps) {
  const problemsId = `${id}-problems`;
  const rooms = [...site.rooms].sort(byName);
  return (
    <li class="site" data-origin={site.origin}>
      <div class="site-head">
        <h3 class="site-origin" id={`${id}-origin`} tabIndex={-1}>
          {site.origin}
        </h3>
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
      {rooms.length === 0 ? (
        <p class="no-room">
          No passphrase is set for this site, so calls on it carry no media until you enter one above (in “Enable a
          site”).
        </p>
      ) : (
        <>
          <p class="hint" id={`${id}-rooms-hint`}>
            At the start of a call, read the safety words aloud with the other participants: same words = same
            passphrase and room. If they differ, someone typed another passphrase or room name.
          </p>
          <ul class="rooms" aria-label={`Rooms on ${site.origin}`}>
            {rooms.map((room, index) => (
              <RoomItem
                key={room.label}
                origin={site.origin}
                room={room}
                id={`${id}-room-${index}`}
                inUse={room.label === site.activeRoom}
                busy={busyRoom === room.label}
                onSelect={onSelectRoom}
                onForget={onForgetRoom}
              />
            ))}
          </ul>
        </>
      )}
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

interface RoomItemProps {
  origin: string;
  room: RoomInfo;
  id: string;
  inUse: boolean;
  busy: boolean;
  onSelect(origin: string, room: string): void;
  onForget(origin: string, room: string): void;
}

function RoomItem({ origin, room, id, inUse, busy, onSelect, onForget }: RoomItemProps) {
  const nameId = `${id}-name`;
  return (
    <li class={inUse ? 'room in-use' : 'room'} data-room={room.label}>
      <div class="room-head">
        <span class="room-name">
          <span class="room-label" id={nameId} tabIndex={-1}>
            {roomName(room.label)}
          </span>
          {inUse && <span class="room-in-use">In use</span>}
        </span>
        <span class="room-actions">
          {!inUse && (
            <button
              type="button"
              class="secondary"
              aria-describedby={nameId}
              aria-disabled={busy ? 'true' : undefined}
              onClick={() => {
                if (!busy) onSelect(origin, room.label);
              }}
            >
              Use this room
            </button>
          )}
          <button
            type="button"
            class="secondary"
            aria-describedby={nameId}
            aria-disabled={busy ? 'true' : undefined}
            onClick={() => {
              if (!busy) onForget(origin, room.label);
            }}
          >
            Forget
          </button>
        </span>
      </div>
      <p class="safety-label">Safety words</p>
      <p class="safety-words">
        {room.safetyWords.map((word, index) => (
          <span key={`${index}:${word}`}>
            {index > 0 && <span aria-hidden="true"> · </span>}
            {word}
          </span>
        ))}
      </p>
      <p class="muted room-keyed">Passphrase set {dateFormat.format(new Date(room.keyedAt))}</p>
    </li>
  );
}
