import { render } from 'preact';
import { App } from './app.js';
import './styles.css';
import './pages.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
