#!/bin/sh
set -e
# Give the spool to the queue's user, then run as that user.
chown -R queue:queue /var/spool/queue
exec gosu queue "$@"
