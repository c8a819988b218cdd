/// <reference types="vite/client" />
/** Framelock's popup (toolbar button), for the current tab. */
import { render } from 'preact';
import { t } from '../ui/i18n';

const root = document.getElementById('app');
if (root === null) throw new Error('popup: #app is missing from index.html');
render(<h1>{t('extensionName')}</h1>, root);
