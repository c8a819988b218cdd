/// <reference types="vite/client" />
/** Framelock's options page: enable and disable sites, see their problems. */
import { render } from 'preact';
// First: the page's own sheet (imported below, after its components' sheets) refines it.
import '../ui/base.css';
import { App } from './App';
import './options.css';

const root = document.getElementById('app');
if (root === null) throw new Error('options page: #app is missing from index.html');
render(<App />, root);
