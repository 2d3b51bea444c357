import { Details } from './views/Details';
import { FilterBar } from './views/FilterBar';
import { HexView } from './views/HexView';
import { StatusBar } from './views/StatusBar';
import { Timeline } from './views/Timeline';
import { Toolbar } from './views/Toolbar';

export function App(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  return (
    <div className="app">
      <Toolbar />
      <FilterBar />
      <main className="panes">
        <Timeline />
        <div className="lower">
          <Details />
          <HexView />
        </div>
      </main>
      <StatusBar mode={props.mode} />
    </div>
  );
}
