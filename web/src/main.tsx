// Entry point: mounts the application. Loaded as an external module (no inline script), so the
// page runs under `script-src 'self'`.
import { render } from 'preact';
import { App } from './app';
import './styles.css';

render(<App />, document.getElementById('app')!);
