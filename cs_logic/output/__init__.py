"""What leaves the app: formula-safe CSV/XLSX exports, chart images and the HTML report."""
