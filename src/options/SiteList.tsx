/**
 * The enabled sites, each with its rooms (their safety words, which one is in use), its settings (strict mode, the
 * in-page indicator), what its tabs reported, and a "Disable" button (named just "Disable"; the site it belongs to is
 * its accessible description). Each room has "Use this room" (unless it is in use) and "Forget" buttons, described by
 * the room's name.
 */
import type { Ref } from 'preact';
import { isSiteBlocked, type RoomInfo, type SiteInfo } from '../shared/messages';
import { TARGET_BROWSER_NAME } from '../shared/target-browser';
import { t } from '../ui/i18n';
import { SafetyWords } from '../ui/SafetyWords';
import { PROBLEM_KEYS } from './problems';
import { roomName } from './rooms';

/** An action on one room that is under way. */
export interface RoomAction {
  origin: string;
  room: string;
}

/** A change of a site's settings (`sites/settings`); settings left out keep their value. */
export interface SettingsChange {
  strict?: boolean;
  indicator?: boolean;
  rememberKeys?: boolean;
}

/** What the last settings change of a site came to, shown in that site's status line. */
export interface SettingsNote {
  origin: string;
  text: string;
  error: boolean;
}

export interface SiteListProps {
  /** `undefined` while loading. */
  sites: readonly SiteInfo[] | undefined;
  /** The site being disabled, if any. */
  disabling: string | undefined;
  /** The room being selected or forgotten, if any. */
  roomBusy: RoomAction | undefined;
  /** Settings being saved, by site (the values asked for). Default: none. */
  settingsBusy?: Readonly<Record<string, SettingsChange>>;
  /** The outcome of the last settings change, if any. */
  settingsNote?: SettingsNote | undefined;
  onDisable(origin: string): void;
  onSelectRoom(origin: string, room: string): void;
  onForgetRoom(origin: string, room: string): void;
  /** Saves a setting. Default: settings are shown but cannot be changed. */
  onSettings?(origin: string, change: SettingsChange): void;
  /** Forgets a site's problems (and lifts its block for tampering). Default: problems cannot be cleared. */
  onClearProblems?(origin: string): void;
  /** The heading, focused after a site's row (and its focused button) disappears. */
  headingRef: Ref<HTMLHeadingElement>;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function SiteList({
  sites,
  disabling,
  roomBusy,
  settingsBusy = {},
  settingsNote,
  onDisable,
  onSelectRoom,
  onForgetRoom,
  onSettings,
  onClearProblems,
  headingRef,
}: SiteListProps) {
  return (
    <section class="sites" aria-labelledby="sites-heading">
      <h2 id="sites-heading" ref={headingRef} tabIndex={-1}>
        {t('options_sites_heading')}
      </h2>
      {sites === undefined ? (
        <p class="muted">{t('options_loading')}</p>
      ) : sites.length === 0 ? (
        <p class="muted">{t('options_no_sites')}</p>
      ) : (
        <ul class="site-list" aria-labelledby="sites-heading">
          {sites.map((site, index) => (
            <SiteItem
              key={site.origin}
              site={site}
              id={`site-${index}`}
              busy={disabling === site.origin}
              busyRoom={roomBusy?.origin === site.origin ? roomBusy.room : undefined}
              savingSettings={settingsBusy[site.origin]}
              settingsNote={settingsNote?.origin === site.origin ? settingsNote : undefined}
              onDisable={onDisable}
              onSelectRoom={onSelectRoom}
              onForgetRoom={onForgetRoom}
              onSettings={onSettings}
              onClearProblems={onClearProblems}
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
  savingSettings: SettingsChange | undefined;
  settingsNote: SettingsNote | undefined;
  onDisable(origin: string): void;
  onSelectRoom(origin: string, room: string): void;
  onForgetRoom(origin: string, room: string): void;
  onSettings: ((origin: string, change: SettingsChange) => void) | undefined;
  onClearProblems: ((origin: string) => void) | undefined;
}

/** The default room first, then the others by name. */
function byName(a: RoomInfo, b: RoomInfo): number {
  return a.label === b.label ? 0 : a.label === '' ? -1 : b.label === '' ? 1 : a.label < b.label ? -1 : 1;
}

function SiteItem({
  site,
  id,
  busy,
  busyRoom,
  savingSettings,
  settingsNote,
  onDisable,
  onSelectRoom,
  onForgetRoom,
  onSettings,
  onClearProblems,
}: SiteItemProps) {
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
          {t('options_disable')}
        </button>
      </div>
      <p class="muted">{t('options_enabled_at', dateFormat.format(new Date(site.enabledAt)))}</p>
      {rooms.length === 0 ? (
        <p class="no-room">{t('options_no_room', t('options_enable_heading'))}</p>
      ) : (
        <>
          <p class="hint" id={`${id}-rooms-hint`}>
            {t('options_rooms_hint')}
          </p>
          <ul class="rooms" aria-label={t('options_rooms_label', site.origin)}>
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
      <SiteSettings site={site} id={id} saving={savingSettings} note={settingsNote} onChange={onSettings} />
      {site.problems.length === 0 ? (
        <p class="site-ok">{t('options_no_problems')}</p>
      ) : (
        <>
          <ul class="problems" id={problemsId} aria-label={t('options_problems_label', site.origin)}>
            {site.problems.map((problem) => (
              <li key={problem} class="problem">
                {t(PROBLEM_KEYS[problem])}
              </li>
            ))}
          </ul>
          {onClearProblems !== undefined && (
            <button
              type="button"
              class="secondary"
              aria-describedby={problemsId}
              onClick={() => onClearProblems(site.origin)}
            >
              {isSiteBlocked(site.problems) ? t('options_allow_calls_again') : t('options_clear_problems')}
            </button>
          )}
        </>
      )}
    </li>
  );
}

interface SiteSettingsProps {
  site: SiteInfo;
  id: string;
  /** The values being saved, if any: shown until the background answers. */
  saving: SettingsChange | undefined;
  note: SettingsNote | undefined;
  onChange: ((origin: string, change: SettingsChange) => void) | undefined;
}

/**
 * A site's settings: two checkboxes, each explained in a line of its own, and a status line (a live region, always
 * there, so that what it says moves nothing). While a change is saved, both are marked busy and ignore clicks.
 */
function SiteSettings({ site, id, saving, note, onChange }: SiteSettingsProps) {
  const busy = saving !== undefined || onChange === undefined;
  const strict = saving?.strict ?? site.strict;
  const indicator = saving?.indicator ?? site.indicator;
  const rememberKeys = saving?.rememberKeys ?? site.rememberKeys;
  /** A click while busy would flip the box without saving anything: cancel it (the box stays as it was). */
  const guard = (event: MouseEvent): void => {
    if (busy) event.preventDefault();
  };
  const toggle = (change: SettingsChange): void => {
    if (!busy) onChange?.(site.origin, change);
  };
  return (
    <fieldset class="settings">
      <legend>{t('options_settings_legend')}</legend>
      <SettingBox
        id={`${id}-strict`}
        name="strict"
        checked={strict}
        busy={busy}
        label={t('options_strict_label')}
        hint={t('options_strict_hint')}
        onClick={guard}
        onToggle={(checked) => toggle({ strict: checked })}
      />
      <SettingBox
        id={`${id}-indicator`}
        name="indicator"
        checked={indicator}
        busy={busy}
        label={t('options_indicator_label')}
        hint={t('options_indicator_hint')}
        onClick={guard}
        onToggle={(checked) => toggle({ indicator: checked })}
      />
      <SettingBox
        id={`${id}-remember`}
        name="rememberKeys"
        checked={rememberKeys}
        busy={busy}
        label={t('options_remember_label')}
        hint={rememberKeys ? t('options_remember_hint_on', TARGET_BROWSER_NAME) : t('options_remember_hint_off')}
        onClick={guard}
        onToggle={(checked) => toggle({ rememberKeys: checked })}
      />
      <p class={note?.error ? 'settings-status error' : 'settings-status'} role="status">
        {note?.text ?? ''}
      </p>
    </fieldset>
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
          {inUse && <span class="room-in-use">{t('options_in_use')}</span>}
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
              {t('options_use_room')}
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
            {t('options_forget_room')}
          </button>
        </span>
      </div>
      <p class="safety-label">{t('options_safety_words')}</p>
      <SafetyWords words={room.safetyWords} />
      <p class="muted room-keyed">{t('options_keyed_at', dateFormat.format(new Date(room.keyedAt)))}</p>
    </li>
  );
}

interface SettingBoxProps {
  id: string;
  name: string;
  checked: boolean;
  busy: boolean;
  label: string;
  hint: string;
  onClick(event: MouseEvent): void;
  onToggle(checked: boolean): void;
}

/** One per-site setting: a checkbox, its label, and the hint that describes it. */
function SettingBox({ id, name, checked, busy, label, hint, onClick, onToggle }: SettingBoxProps) {
  return (
    <div class="setting">
      <input
        type="checkbox"
        id={id}
        name={name}
        checked={checked}
        aria-describedby={`${id}-hint`}
        aria-disabled={busy ? 'true' : undefined}
        onClick={onClick}
        onChange={(event) => onToggle(event.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}
