/// <reference types="vite/client" />
/** Framelock's call chat, in Chrome's side panel (the popup's "Open chat" opens it for its tab). */
import { render } from 'preact';
// First: the page's own sheet (imported below) refines it.
import '../ui/base.css';
import { messagesLocale, t } from '../ui/i18n';
import { ChatPanel } from './ChatPanel';
import './sidepanel.css';

const root = document.getElementById('app');
if (root === null) throw new Error('side panel: #app is missing from index.html');
document.title = t('chat_title');
document.documentElement.lang = messagesLocale();
render(<ChatPanel search={location.search} />, root);
