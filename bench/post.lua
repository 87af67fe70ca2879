-- wrk script: POST the lines of $BODIES_FILE in turn, one a request, and
-- stop after $WRK_N answers, so that wrk sends a count and not a duration
-- (run with -t 1: the count is per thread).  wrk's main thread sleeps for
-- -d, so it is woken with SIGINT, after which wrk reports as usual.
local ffi = require("ffi")
ffi.cdef[[
int kill(int pid, int sig);
int getpid(void);
]]

local bodies = {}
for line in io.lines(os.getenv("BODIES_FILE")) do
	bodies[#bodies + 1] = line
end
local want = tonumber(os.getenv("WRK_N")) or #bodies
local sent, got = 0, 0

request = function()
	sent = sent % #bodies + 1
	return wrk.format("POST", nil, nil, bodies[sent])
end

response = function(status, headers, body)
	got = got + 1
	if got == want then
		wrk.thread:stop()
		ffi.C.kill(ffi.C.getpid(), 2)
	end
end
