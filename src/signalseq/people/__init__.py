"""People move: employments, job changes applied to them, and finding a new address."""
