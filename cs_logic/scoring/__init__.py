"""The health score: scorecards, points and scores, the scored portfolio, backtest and the editor."""
