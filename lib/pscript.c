/*
 * pscript -- Lua text of the policy scripts; see pscript.h for their
 * arguments and replies, lib/schema.h for the keys they touch.
 *
 * Sliding window W: slot width b = max(1, floor(W/60)), nb = ceil(W/b)
 * slots back from the current one are summed, so the sum always covers at
 * least the last W seconds (conservative).  A slot s stops counting at
 * (s + nb + 1) * b: that is when its amount "frees".
 */
#include "pscript.h"
#include "schema.h"

/* Shared head: time, account, effective limits, usage per limit. */
#define COMMON \
"local t = redis.call('TIME')\n" \
"local now = tonumber(t[1]) + tonumber(ARGV[1])\n" \
"local function civil(days)\n" \
"  local z = days + 719468\n" \
"  local era = math.floor(z / 146097)\n" \
"  local doe = z - era * 146097\n" \
"  local yoe = math.floor((doe - math.floor(doe / 1460) +\n" \
"    math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)\n" \
"  local doy = doe - (365 * yoe + math.floor(yoe / 4) -\n" \
"    math.floor(yoe / 100))\n" \
"  local mp = math.floor((5 * doy + 2) / 153)\n" \
"  local m = mp < 10 and mp + 3 or mp - 9\n" \
"  local y = yoe + era * 400\n" \
"  if m <= 2 then y = y + 1 end\n" \
"  return y, m\n" \
"end\n" \
"local function month_start(y, m)\n" \
"  if m <= 2 then y = y - 1 end\n" \
"  local era = math.floor(y / 400)\n" \
"  local yoe = y - era * 400\n" \
"  local mp = m > 2 and m - 3 or m + 9\n" \
"  local doy = math.floor((153 * mp + 2) / 5)\n" \
"  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100)\n" \
"    + doy\n" \
"  return (era * 146097 + doe - 719468) * 86400\n" \
"end\n" \
"local function account(mode, defplan)\n" \
"  local a = redis.call('HMGET', KEYS[1], 'plan', 'state',\n" \
"    'reason', 'since')\n" \
"  if not (a[1] or a[2] or a[3] or a[4]) and\n" \
"      redis.call('EXISTS', KEYS[1]) == 0 then\n" \
"    if mode ~= 'default' then return nil, {'unknown'} end\n" \
"    return {plan = defplan, known = false}\n" \
"  end\n" \
"  if a[2] == 'suspended' then\n" \
"    return nil, {'suspended', a[3] or '', a[4] or '0'}\n" \
"  end\n" \
"  local plan = a[1]\n" \
"  if not plan or plan == '' then plan = defplan end\n" \
"  return {plan = plan, known = true}\n" \
"end\n" \
"local function fallback(plan)\n" \
"  if ARGV[5] == '' or ARGV[4] ~= plan then return nil end\n" \
"  local L = {}\n" \
"  for f, n in string.gmatch(ARGV[6], '(%S+)=(%d+)') do\n" \
"    L[f] = tonumber(n)\n" \
"  end\n" \
"  return L, ARGV[5] ~= '1'\n" \
"end\n" \
"local function copied(acc)\n" \
"  if not acc.known then return nil end\n" \
"  local h = redis.call('HGETALL', KEYS[2])\n" \
"  local L, from, noplan = {}, nil, false\n" \
"  for i = 1, #h, 2 do\n" \
"    if h[i] == '" SCHEMA_PLIM_FROM "' then from = h[i + 1]\n" \
"    elseif h[i] == '" SCHEMA_PLIM_NOPLAN "' then noplan = true\n" \
"    else L[h[i]] = tonumber(h[i + 1]) end\n" \
"  end\n" \
"  if from ~= acc.plan then return nil end\n" \
"  return L, noplan\n" \
"end\n" \
"local function limits(acc)\n" \
"  local L, noplan = copied(acc)\n" \
"  if not L then L, noplan = fallback(acc.plan) end\n" \
"  if not L then return nil end\n" \
"  acc.noplan = noplan\n" \
"  if acc.known then\n" \
"    local o = redis.call('HGETALL', KEYS[3])\n" \
"    for i = 1, #o, 2 do L[o[i]] = tonumber(o[i + 1]) end\n" \
"  end\n" \
"  local out = {}\n" \
"  for f, n in pairs(L) do\n" \
"    local dim, win = string.match(f, '^(%a+)/(%w+)$')\n" \
"    if n and n >= 1 and (dim == 'messages' or dim == 'recipients' or\n" \
"        dim == 'bytes') then\n" \
"      if win == 'month' then\n" \
"        table.insert(out, {f = f, dim = dim, n = n, month = true})\n" \
"      else\n" \
"        local w = tonumber(win)\n" \
"        if w and w >= 1 and w == math.floor(w) then\n" \
"          table.insert(out, {f = f, dim = dim, n = n, w = w})\n" \
"        end\n" \
"      end\n" \
"    end\n" \
"  end\n" \
"  table.sort(out, function(x, y) return x.f < y.f end)\n" \
"  return out\n" \
"end\n" \
"local function usage(l, full)\n" \
"  l.key = KEYS[4] .. l.f\n" \
"  if l.month then\n" \
"    local y, m = civil(math.floor(now / 86400))\n" \
"    l.cur = y * 100 + m\n" \
"    if m == 12 then y, m = y + 1, 1 else m = m + 1 end\n" \
"    l.next = month_start(y, m)\n" \
"  else\n" \
"    l.b = math.max(1, math.floor(l.w / 60))\n" \
"    l.nb = math.ceil(l.w / l.b)\n" \
"    l.cur = math.floor(now / l.b)\n" \
"    if not full then\n" \
"      local q = redis.call('HMGET', l.key, 'lo', 'n')\n" \
"      local lo, n = tonumber(q[1]), tonumber(q[2])\n" \
"      if lo and n and lo >= l.cur - l.nb then\n" \
"        l.used, l.fast = n, true\n" \
"        return\n" \
"      end\n" \
"    end\n" \
"  end\n" \
"  local h = redis.call('HGETALL', l.key)\n" \
"  l.used, l.slots, l.stale, l.fast, l.lo = 0, {}, {}, false, l.cur\n" \
"  for i = 1, #h, 2 do\n" \
"    local f = h[i]\n" \
"    if f ~= 'lo' and f ~= 'n' then\n" \
"      local s, v = tonumber(f), tonumber(h[i + 1]) or 0\n" \
"      local live\n" \
"      if l.month then live = (s == l.cur) else\n" \
"        live = s and s >= l.cur - l.nb end\n" \
"      if live then\n" \
"        l.used = l.used + v\n" \
"        l.slots[#l.slots + 1] = {s, v}\n" \
"        if s < l.lo then l.lo = s end\n" \
"      else l.stale[#l.stale + 1] = f end\n" \
"    end\n" \
"  end\n" \
"end\n" \
"local function frees_at(l, x)\n" \
"  if l.month then return l.next end\n" \
"  table.sort(l.slots, function(p, q) return p[1] < q[1] end)\n" \
"  local left = l.used\n" \
"  for _, sv in ipairs(l.slots) do\n" \
"    left = left - sv[2]\n" \
"    if left + x <= l.n then return (sv[1] + l.nb + 1) * l.b end\n" \
"  end\n" \
"  return now\n" \
"end\n" \
"local function check(lims, want)\n" \
"  local worst\n" \
"  for _, l in ipairs(lims) do\n" \
"    usage(l)\n" \
"    local x = want[l.dim]\n" \
"    if x > 0 and l.used + x > l.n and l.fast then usage(l, true) end\n" \
"    if x > 0 and l.used + x > l.n then\n" \
"      local never = x > l.n and 1 or 0\n" \
"      local at = never == 1 and 0 or frees_at(l, x)\n" \
"      if never == 1 then\n" \
"        return {'limit', l.f, l.n, l.used, x, 0, 1}\n" \
"      end\n" \
"      if not worst or at > worst[6] then\n" \
"        worst = {'limit', l.f, l.n, l.used, x, at, 0}\n" \
"      end\n" \
"    end\n" \
"  end\n" \
"  return worst\n" \
"end\n"

/* Limits neither copied nor given: ask the caller for the plan. */
#define NEEDPLAN \
"if not lims then return {'needplan', acc.plan} end\n"

const char pscript_rcpt[] = COMMON
"local acc, verdict = account(ARGV[2], ARGV[3])\n"
"if not acc then return verdict end\n"
"local lims = limits(acc)\n"
NEEDPLAN
"local dom = ARGV[7]\n"
"if acc.known and dom ~= '' and redis.call('SCARD', KEYS[5]) > 0 then\n"
"  if dom == '@' then return {'nodomain'} end\n"
"  local d, allowed = dom, false\n"
"  while d do\n"
"    if redis.call('SISMEMBER', KEYS[5], d) == 1 then\n"
"      allowed = true\n"
"      break\n"
"    end\n"
"    d = string.match(d, '^[^.]*%.(.+)$')\n"
"  end\n"
"  if not allowed then return {'domain'} end\n"
"end\n"
"for i = 1, 2 do\n"
"  if ARGV[7 + i] ~= '' then\n"
"    local v = redis.call('HGET', KEYS[5 + i], ARGV[7 + i])\n"
"    if v then\n"
"      local c, e = string.match(v, '^(%d+):?(%d*)$')\n"
"      c = tonumber(c)\n"
"      if c and (e == '' or tonumber(e) * 60 > now) then\n"
"        return {'suppressed', 'user', c % 4, math.floor(c / 4) * 60}\n"
"      end\n"
"    end\n"
"  end\n"
"end\n"
"local worst = check(lims, {messages = 1, recipients = 1, bytes = 1})\n"
"if worst then worst[7] = 0 return worst end\n"
"if acc.noplan then return {'ok', 'noplan', acc.plan} end\n"
"return {'ok'}\n";

/* END-OF-MESSAGE: every argument is checked before the first write. */
const char pscript_eom[] = COMMON
"local function count(v)\n"
"  if v == '' then return 0 end\n"
"  if #v > 15 or not string.match(v, '^%d+$') then return nil end\n"
"  return tonumber(v)\n"
"end\n"
"local nrcpt, nbytes, ttl = count(ARGV[7]), count(ARGV[8]), count(ARGV[9])\n"
"if not nrcpt or not nbytes or not ttl or ttl < 1 then\n"
"  return redis.error_reply('outpost: END-OF-MESSAGE: bad recipient_count, '\n"
"    .. 'size or refund TTL')\n"
"end\n"
"local acc, verdict = account(ARGV[2], ARGV[3])\n"
"if not acc then return verdict end\n"
"local lims = limits(acc)\n"
NEEDPLAN
"local want = {messages = 1, recipients = nrcpt, bytes = nbytes}\n"
"local worst = check(lims, want)\n"
"if worst and ARGV[10] ~= '1' then return worst end\n"
"local qkey = ARGV[11] == '1' and KEYS[5] or nil\n"
"local dup = qkey and redis.call('EXISTS', qkey) == 1\n"
"if dup then qkey = nil end\n"
"local qset, fmt = false, string.format\n"
"for _, l in ipairs(lims) do\n"
"  local x = want[l.dim]\n"
"  if x > 0 then\n"
"    local cs, xs = fmt('%d', l.cur), fmt('%d', x)\n"
"    if redis.call('HINCRBY', l.key, cs, xs) == x then\n"
"      if l.month then\n"
"        redis.call('EXPIREAT', l.key, fmt('%d', l.next + 86400))\n"
"      else redis.call('EXPIRE', l.key, fmt('%d', (l.nb + 1) * l.b)) end\n"
"    end\n"
"    if l.fast then redis.call('HINCRBY', l.key, 'n', xs)\n"
"    elseif l.month then\n"
"      if #l.stale > 0 then redis.call('HDEL', l.key, unpack(l.stale)) end\n"
"    else\n"
"      table.insert(l.stale, 'n')\n"
"      table.insert(l.stale, 'lo')\n"
"      redis.call('HDEL', l.key, unpack(l.stale))\n"
"      redis.call('HINCRBY', l.key, 'n', fmt('%d', l.used + x))\n"
"      redis.call('HINCRBY', l.key, 'lo', fmt('%d', l.lo))\n"
"    end\n"
"    if qkey then\n"
"      redis.call('HINCRBY', qkey, l.f .. ':' .. cs, xs)\n"
"      qset = true\n"
"    end\n"
"  end\n"
"end\n"
"if qset then redis.call('EXPIRE', qkey, fmt('%d', ttl)) end\n"
"if worst then\n"
"  worst[1], worst[8] = 'dry', dup and 'duplicate' or ''\n"
"  return worst\n"
"end\n"
"if dup then return {'ok', 'duplicate'} end\n"
"return {'ok'}\n";

const char pscript_refund[] =
"local r = redis.call('HGETALL', KEYS[1])\n"
"local n = 0\n"
"for i = 1, #r, 2 do\n"
"  local f, slot = string.match(r[i], '^(.+):([^:]+)$')\n"
"  local amt = tonumber(r[i + 1])\n"
"  if f and amt and amt > 0 and tonumber(slot) then\n"
"    local key = KEYS[2] .. f\n"
"    local cur = tonumber(redis.call('HGET', key, slot))\n"
"    if cur then\n"
"      if cur > amt then redis.call('HINCRBY', key, slot, -amt)\n"
"      else redis.call('HDEL', key, slot) end\n"
"      if redis.call('HGET', key, 'n') then\n"
"        redis.call('HINCRBY', key, 'n', cur > amt and -amt or -cur)\n"
"      end\n"
"      n = n + 1\n"
"    end\n"
"  end\n"
"end\n"
"redis.call('DEL', KEYS[1])\n"
"return n\n";

const char pscript_sweep[] =
"if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) + tonumber(ARGV[1])\n"
"local h = redis.call('HGETALL', KEYS[1])\n"
"local dead = {}\n"
"for i = 1, #h, 2 do\n"
"  local e = string.match(h[i + 1], '^%d+:(%d+)$')\n"
"  if e and tonumber(e) * 60 <= now then table.insert(dead, h[i]) end\n"
"end\n"
"if #dead > 0 then redis.call('HDEL', KEYS[1], unpack(dead)) end\n"
"return #dead\n";
