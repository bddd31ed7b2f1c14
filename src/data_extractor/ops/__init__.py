"""Operations beside a run: `doctor` (is everything a run needs there?)."""
