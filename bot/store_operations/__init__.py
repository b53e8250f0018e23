"""What store staff do: their orders (ready, collected, cancelled) and the dashboard's board."""
