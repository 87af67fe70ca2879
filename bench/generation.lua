-- wrk script: GET /v1/generation/{id}, cycling through the ids in $IDS_FILE.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
	ids[#ids + 1] = line
end
local n = 0

request = function()
	n = n % #ids + 1
	return wrk.format("GET", "/v1/generation/" .. ids[n])
end
