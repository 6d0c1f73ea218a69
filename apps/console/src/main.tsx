import { render } from 'preact';
import './styles.css';

function ConsoleShell() {
  return (
    <main class="shell">
      <h1>Hybridforms</h1>
      <p>Operator console</p>
    </main>
  );
}

render(<ConsoleShell />, document.getElementById('app')!);
