import { AttachPage, useAttachPage } from './views/attach/AttachPage';
import { Details } from './views/Details';
import { EngineBanner } from './views/EngineBanner';
import { FilterBar } from './views/FilterBar';
import { HexView } from './views/HexView';
import { StatusBar } from './views/StatusBar';
import { Timeline } from './views/Timeline';
import { Toolbar } from './views/Toolbar';

export function App(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  const attaching = useAttachPage();
  return (
    <>
      <EngineBanner mode={props.mode} />
      {attaching ? <AttachPage mode={props.mode} /> : <PacketView mode={props.mode} />}
    </>
  );
}

function PacketView(props: { mode: 'electron' | 'web' }): React.JSX.Element {
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
