-- milter-send.lua -- a miltertest(8) script that plays the MTA for one
-- connection and writes down what the milter answered.
--
-- usage: miltertest -s t/lib/milter-send.lua -D sock=unix:/path
--            -D msg=FILE [-D NAME=VALUE ...]
--
--   sock    the milter's socket, in miltertest's form (unix:/path)
--   msg     a message file (LF or CRLF line ends): header fields, a blank
--           line, the body.  Folded header lines are sent as one field.
--           A comma-separated list: message N of the connection is the
--           list's N-th file, round robin.
--   ip      client address (default 127.0.0.1; "unspec" = no address)
--   daemon  {daemon_name} sent with the connect macros
--   auth    {auth_authen} sent with the MAIL macros; a comma-separated
--           list is used round robin, an empty entry sends none
--   qid     queue ID sent as "i" with the RCPT macros; message N of the
--           connection gets qid .. "." .. N when count > 1
--   plan    per message, comma-separated: "eom" (default) or "abort"
--           (headers and body sent, then ABORT instead of end of message)
--   count   messages on this connection when plan is not given (default 1)
--   leadspc "0": the MTA does not offer SMFIP_HDR_LEADSPC (as an MTA that
--           strips the space after the colon and adds it back to the
--           fields a milter inserts)
--   chunk   body chunk size in bytes (default: the whole body in one)
--   out     where the results go (default: standard output)
--   eml     when set, message N as the MTA would now deliver it (inserted
--           header fields first, then the original) is written to eml.N
--   rcode, xcode, rtext
--           the SMTP reply expected at end of message, compared with what
--           the milter set (miltertest compares the whole reply line)
--   summary when "1", write only "signed N" (N = messages that got an
--           ACCEPT and at least one DKIM-Signature) and "done"
--
-- Result lines, one group per message:
--   msg N mail=C eom=C nsig=K text=yes|no|-
--   sig N VALUE          (each DKIM-Signature inserted, top first, unfolded)
-- C is the milter's reply as a character (c continue, a accept,
-- r reject, t tempfail, y reply code, - not reached); text= says whether
-- the reply line matched rcode/xcode/rtext.  The last line is "done": a
-- script that dies half-way (miltertest ends a script on a failed
-- protocol step) leaves it out.

local function need(name)
	local v = _G[name]
	if v == nil then
		io.stderr:write("milter-send: -D " .. name .. "= is required\n")
		os.exit(2)
	end
	return v
end

local SOCK = need("sock")
local IP = ip or "127.0.0.1"
local COUNT = tonumber(count or "1")
local CHUNK = tonumber(chunk or "0")
local LEADSPC = 0x100000		-- SMFIP_HDR_LEADSPC (mfdef.h)

local out = io.stdout
if _G.out ~= nil then
	out = assert(io.open(_G.out, "w"))
end

local function progress(s)
	io.stderr:write("milter-send: " .. s .. "\n")
end

local function must(r, what)
	if r ~= nil then
		progress(what .. " failed: " .. tostring(r))
		out:write("error " .. what .. ": " .. tostring(r) .. "\n")
		out:close()
		os.exit(1)
	end
end

-- The message: list of {name, raw value after the colon}, and the body.
local function read_message(path)
	local f = assert(io.open(path, "rb"))
	local text = f:read("*a")
	f:close()
	text = text:gsub("\r\n", "\n")
	local head, body = text:match("^(.-)\n\n(.*)$")
	if head == nil then
		head, body = text, ""
	end
	local fields = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #fields > 0 then
			local f1 = fields[#fields]
			f1.value = f1.value .. "\r\n" .. line
		elseif line ~= "" then
			local name, value = line:match("^([^:]+):(.*)$")
			if name == nil then
				progress("not a header line: " .. line)
				os.exit(2)
			end
			fields[#fields + 1] = { name = name, value = value }
		end
	end
	return fields, (body:gsub("\n", "\r\n"))
end

local messages = {}
for path in need("msg"):gmatch("[^,]+") do
	local f, b = read_message(path)
	messages[#messages + 1] = { fields = f, body = b }
end
local fields, body		-- the message being sent

local auths = {}
if auth ~= nil then
	for a in (auth .. ","):gmatch("([^,]*),") do
		auths[#auths + 1] = a
	end
end

local plan = {}
if _G.plan ~= nil then
	for step in _G.plan:gmatch("[^,]+") do
		plan[#plan + 1] = step
	end
else
	for i = 1, COUNT do
		plan[i] = "eom"
	end
end

local function ch(n)
	if n == nil or n == 0 then
		return "-"
	end
	return string.char(math.floor(n))
end

local conn = mt.connect(SOCK, 40, 0.25)
if conn == nil then
	progress("cannot connect to " .. SOCK)
	out:write("error connect\n")
	os.exit(1)
end
if _G.leadspc == "0" then
	-- miltertest 1.6.0 takes (conn, version, steps, actions), not the
	-- order its manual gives.
	must(mt.negotiate(conn, 6, 0x1FFFFF & ~LEADSPC, 0x1FF), "negotiate")
end
if daemon ~= nil then
	must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon),
	    "macro connect")
end
must(mt.conninfo(conn, "client.example.net", IP), "conninfo")
local leadspc = mt.test_option(conn, LEADSPC)
must(mt.helo(conn, "client.example.net"), "helo")

-- The header value to give mt.header(): the MTA's view without
-- SMFIP_HDR_LEADSPC, i.e. without the space after the colon; when the
-- milter negotiated SMFIP_HDR_LEADSPC, miltertest puts one space back.
-- A field without that space cannot be sent faithfully then.
local function wire_value(v)
	if leadspc and not v:match("^ ") then
		progress("cannot send a field without a space after the colon")
		os.exit(2)
	end
	return (v:gsub("^ ", ""))
end

-- The DKIM-Signature fields inserted at end of message, top first.
local function inserted()
	local sigs, i = {}, 0
	while true do
		local v = mt.getheader(conn, "DKIM-Signature", i)
		if v == nil then
			return sigs
		end
		sigs[#sigs + 1] = v
		i = i + 1
	end
end

local function write_eml(n, sigs)
	local f = assert(io.open(eml .. "." .. n, "wb"))
	for _, v in ipairs(sigs) do
		local wire = v
		if not leadspc then
			wire = " " .. wire
		end
		f:write("DKIM-Signature:" .. wire:gsub("\r?\n", "\r\n") .. "\r\n")
	end
	for _, h in ipairs(fields) do
		f:write(h.name .. ":" .. h.value .. "\r\n")
	end
	f:write("\r\n" .. body)
	f:close()
end

local function send_body()
	-- An empty body cannot be sent: libmilter drops the connection on
	-- an empty BODY chunk (an MTA sends none), and without one
	-- miltertest makes up a body ("Dummy message body.").
	if #body == 0 then
		progress("miltertest cannot send an empty body")
		os.exit(2)
	end
	if CHUNK <= 0 or CHUNK >= #body then
		must(mt.bodystring(conn, body), "body")
		return
	end
	for i = 1, #body, CHUNK do
		must(mt.bodystring(conn, body:sub(i, i + CHUNK - 1)), "body")
	end
end

-- One message; returns its result line and its signatures.
local function one(n, step)
	local cur = messages[(n - 1) % #messages + 1]
	fields, body = cur.fields, cur.body
	local res = { mail = "-", eom = "-", text = "-" }
	local m = { "{mail_addr}", "sender@example.com" }
	if #auths > 0 and auths[(n - 1) % #auths + 1] ~= "" then
		m[#m + 1] = "{auth_authen}"
		m[#m + 1] = auths[(n - 1) % #auths + 1]
	end
	must(mt.macro(conn, SMFIC_MAIL, table.unpack(m)), "macro mail")
	must(mt.mailfrom(conn, "<sender@example.com>"), "mail")
	res.mail = ch(mt.getreply(conn))
	if res.mail ~= "c" then
		must(mt.abort(conn), "abort after MAIL")
		return res, {}
	end
	local id = qid
	if id ~= nil and #plan > 1 then
		id = id .. "." .. n
	end
	if id ~= nil then
		must(mt.macro(conn, SMFIC_RCPT, "i", id), "macro rcpt")
	end
	must(mt.rcptto(conn, "<rcpt@example.org>"), "rcpt")
	for _, h in ipairs(fields) do
		must(mt.header(conn, h.name, wire_value(h.value)), "header")
	end
	must(mt.eoh(conn), "eoh")
	send_body()
	if step == "abort" then
		must(mt.abort(conn), "abort")
		return res, {}
	end
	must(mt.eom(conn), "eom")
	res.eom = ch(mt.getreply(conn))
	if rcode ~= nil then
		res.text = mt.eom_check(conn, MT_SMTPREPLY, rcode, xcode,
		    rtext) and "yes" or "no"
	end
	local sigs = inserted()
	if eml ~= nil then
		write_eml(n, sigs)
	end
	return res, sigs
end

local signed = 0
for n, step in ipairs(plan) do
	local res, sigs = one(n, step)
	if res.eom == "a" and #sigs > 0 then
		signed = signed + 1
	end
	if summary ~= "1" then
		out:write(string.format("msg %d mail=%s eom=%s nsig=%d text=%s\n",
		    n, res.mail, res.eom, #sigs, res.text))
		for _, v in ipairs(sigs) do
			local one_line = v:gsub("\r?\n[ \t]*", " ")
			out:write("sig " .. n .. " " .. one_line .. "\n")
		end
	end
end
if summary == "1" then
	out:write("signed " .. signed .. "\n")
end
mt.disconnect(conn)
out:write("done\n")
out:close()
