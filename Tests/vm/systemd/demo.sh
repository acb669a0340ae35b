# The systemd part of the demo (placeholder replaced below).
echo "systemd $(systemctl --version | awk 'NR == 1 { print $2 }') is PID 1 here."
