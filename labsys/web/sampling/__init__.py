"""The sampling form (抽样单), sample lists and labels."""
