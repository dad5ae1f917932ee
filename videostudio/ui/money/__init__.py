"""What has been spent, and the budget."""
