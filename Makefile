# ia builds with GNU make, whose features (pattern rules, $(shell),
# $(wildcard)) the build uses throughout: GNUmakefile holds it, and GNU make
# reads that file before this one.  Any other make reads this, and says so.

all testbin check demo install uninstall clean deps lint bench sanitize fuzz fuzz-smoke:
	@echo "ia needs GNU make: run gmake $@ (on Debian, make is GNU make)" >&2
	@false
