"""Write the dashboards' JSON into dashboards/ (the files Grafana provisioning and
`soak dashboards push` read): `python -m controller.dashboards.build`."""

from __future__ import annotations

import json
from pathlib import Path

from controller.dashboards.catalog import DASHBOARDS
from controller.dashboards.model import to_json
from controller.settings import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "dashboards"


def rendered() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {f"{d.uid}.json": json.dumps(to_json(d), indent=2) + "\n" for d in DASHBOARDS}


def write(folder: Path = DASHBOARDS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in rendered().items():
        (folder / name).write_text(text)
        out.append(folder / name)
    return out


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(REPO_ROOT))
