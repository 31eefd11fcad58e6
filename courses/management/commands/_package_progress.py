"""Progress bars for the package commands: one tqdm bar per step, on standard error."""

from __future__ import annotations

from tqdm import tqdm


class StepBars:
    """``progress(step, done, total)`` for ``courses.services.packages``: a bar per step."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.bars: dict[str, tqdm] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        bar = self.bars.get(step)
        if bar is None:
            bar = self.bars[step] = tqdm(total=total, desc=step, file=self.stream, leave=True)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
