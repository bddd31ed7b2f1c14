"""Help: every key, by screen. `?` opens it anywhere; esc closes it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Data Extractor: keys

**Browse** (the catalog)

| key | does |
|---|---|
| `/` | filter tables (`ord` matches a part of the name, `ord*` is a glob); enter or esc returns |
| `space` | mark or unmark the table under the cursor (`[x]`) |
| `a` | mark every table shown in the schema |
| `p` | plan the marked tables |
| `r` | run the marked tables |

**Plan** — `tab` moves between the table list, strategy, column and partitions; the plan is
recomputed as you change them, and the run uses what you see. `r` runs, `esc` goes back.

**Run** — `c` cancels the table under the cursor, `C` cancels the whole run, `l` shows the log of one
table after another (then all), `esc` goes back (the run goes on; `r` in Browse shows it again).

**Anywhere** — `h` history of published tables, `ctrl+p` command palette (themes, screens),
`?` this help, `q` quit (a run in progress is cancelled first).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("question_mark", "dismiss", "close", show=False),
        Binding("q", "dismiss", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Help"
        self.query_one("#help").border_subtitle = "esc closes"
