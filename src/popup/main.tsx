/// <reference types="vite/client" />
/** Framelock's popup (toolbar button), for the current tab. */
import { render } from 'preact';
// First: the page's own sheet (imported below, after its components' sheets) refines it.
import '../ui/base.css';
import { messagesLocale } from '../ui/i18n';
import { Popup } from './Popup';
import './popup.css';

const root = document.getElementById('app');
if (root === null) throw new Error('popup: #app is missing from index.html');
// index.html says English; the page is in the language of its messages.
document.documentElement.lang = messagesLocale();
render(<Popup search={location.search} />, root);
