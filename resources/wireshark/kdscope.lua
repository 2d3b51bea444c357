-- kdscope.lua: Wireshark dissector for the Windows kernel debugger serial protocol (KD, "kdcom")
-- as recorded by kdscope and by the windbg-uefi relay: raw KD stream bytes in fake UDP frames,
-- debugger 192.168.0.2:51111 -> target 192.168.0.1:51112 and back.
--
-- What it does that the usual kdnet.lua does not:
--   * direction from the UDP ports, never guessed;
--   * per-direction reassembly: a frame may hold part of a packet or several packets;
--   * checksums verified, bad trailers / ByteCounts / line noise flagged as expert info.
-- Framing follows ReactOS kdcom (kddll.c): a leader is the last four bytes of a run of 0x30
-- ("0000", data) or 0x69 ("iiii", control); a 0x62 met while scanning is a break-in in the
-- debugger's stream and noise in the target's (only the debugger sends break-ins).
--
-- Use:   wireshark -X lua_script:kdscope.lua capture.pcap
-- or copy it into Wireshark's personal Lua plugins folder (Help > About > Folders).

local kd = Proto("kd", "Windows Kernel Debugger (serial KD)")

local DEBUGGER_PORT = 51111
local TARGET_PORT = 51112
local PACKET_MAX_SIZE = 4000
-- kdcom abandons a packet whose next byte is this late (seconds; KD_RECEIVE_TIMEOUT_MS in
-- protocol/kd/constants.ts says why), and so does the reassembly below.
local RECEIVE_TIMEOUT = 0.4

local packet_types = {
  [0] = "UNUSED", [1] = "STATE_CHANGE32", [2] = "STATE_MANIPULATE", [3] = "DEBUG_IO",
  [4] = "ACKNOWLEDGE", [5] = "RESEND", [6] = "RESET", [7] = "STATE_CHANGE64",
  [8] = "POLL_BREAKIN", [9] = "TRACE_IO", [10] = "CONTROL_REQUEST", [11] = "FILE_IO",
}
local leaders = { [0x30303030] = "data", [0x69696969] = "control", [0x62626262] = "break-in" }
local apis = {
  [0x3130] = "ReadVirtualMemory", [0x3131] = "WriteVirtualMemory", [0x3132] = "GetContext",
  [0x3133] = "SetContext", [0x3134] = "WriteBreakPoint", [0x3135] = "RestoreBreakPoint",
  [0x3136] = "Continue", [0x3137] = "ReadControlSpace", [0x3138] = "WriteControlSpace",
  [0x3139] = "ReadIoSpace", [0x313A] = "WriteIoSpace", [0x313B] = "Reboot",
  [0x313C] = "Continue2", [0x313D] = "ReadPhysicalMemory", [0x313E] = "WritePhysicalMemory",
  [0x313F] = "QuerySpecialCalls", [0x3140] = "SetSpecialCall", [0x3141] = "ClearSpecialCalls",
  [0x3142] = "SetInternalBreakPoint", [0x3143] = "GetInternalBreakPoint",
  [0x3144] = "ReadIoSpaceExtended", [0x3145] = "WriteIoSpaceExtended", [0x3146] = "GetVersion",
  [0x3147] = "WriteBreakPointEx", [0x3148] = "RestoreBreakPointEx", [0x3149] = "CauseBugCheck",
  [0x3150] = "SwitchProcessor", [0x3151] = "PageIn", [0x3152] = "ReadMachineSpecificRegister",
  [0x3153] = "WriteMachineSpecificRegister", [0x3156] = "SearchMemory", [0x3157] = "GetBusData",
  [0x3158] = "SetBusData", [0x3159] = "CheckLowMemory", [0x315A] = "ClearAllInternalBreakpoints",
  [0x315B] = "FillMemory", [0x315C] = "QueryMemory", [0x315D] = "SwitchPartition",
  [0x315E] = "WriteCustomBreakpoint", [0x315F] = "GetContextEx", [0x3160] = "SetContextEx",
  -- DEBUG_IO and FILE_IO share the field.
  [0x3230] = "PrintString", [0x3231] = "GetString",
  [0x3430] = "CreateFile", [0x3431] = "ReadFile", [0x3432] = "WriteFile", [0x3433] = "CloseFile",
}
local states = { [0x3030] = "Exception", [0x3031] = "LoadSymbols", [0x3032] = "CommandString" }
local statuses = {
  [0x00000000] = "STATUS_SUCCESS", [0x00000103] = "STATUS_PENDING",
  [0x80000003] = "STATUS_BREAKPOINT", [0x80000004] = "STATUS_SINGLE_STEP",
  [0xC0000001] = "STATUS_UNSUCCESSFUL", [0xC0000002] = "STATUS_NOT_IMPLEMENTED",
  [0xC0000005] = "STATUS_ACCESS_VIOLATION", [0xC000000D] = "STATUS_INVALID_PARAMETER",
}

local f = kd.fields
f.dir = ProtoField.string("kd.dir", "Direction")
f.leader = ProtoField.uint32("kd.leader", "Packet leader", base.HEX, leaders)
f.type = ProtoField.uint16("kd.type", "Packet type", base.DEC, packet_types)
f.type_name = ProtoField.string("kd.type_name", "Packet type name")
f.bytecount = ProtoField.uint16("kd.bytecount", "Byte count", base.DEC)
f.id = ProtoField.uint32("kd.id", "Packet id", base.HEX)
f.checksum = ProtoField.uint32("kd.checksum", "Checksum", base.HEX)
f.checksum_ok = ProtoField.bool("kd.checksum_ok", "Checksum good")
f.trailer = ProtoField.uint8("kd.trailer", "Trailing byte", base.HEX)
f.payload = ProtoField.bytes("kd.payload", "Payload")
f.api = ProtoField.uint32("kd.api", "ApiNumber", base.HEX, apis)
f.api_name = ProtoField.string("kd.api_name", "Api name")
f.proc_level = ProtoField.uint16("kd.processor_level", "ProcessorLevel", base.DEC)
f.processor = ProtoField.uint16("kd.processor", "Processor", base.DEC)
f.status = ProtoField.uint32("kd.status", "ReturnStatus", base.HEX, statuses)
f.address = ProtoField.uint64("kd.address", "Address", base.HEX)
f.count = ProtoField.uint32("kd.count", "TransferCount", base.HEX)
f.actual = ProtoField.uint32("kd.actual", "Actual bytes", base.HEX)
f.handle = ProtoField.uint32("kd.bp_handle", "BreakPointHandle", base.HEX)
f.msr = ProtoField.uint32("kd.msr", "Msr", base.HEX)
f.msr_value = ProtoField.uint64("kd.msr_value", "Msr value", base.HEX)
f.continue_status = ProtoField.uint32("kd.continue_status", "ContinueStatus", base.HEX, statuses)
f.major = ProtoField.uint16("kd.version.major", "MajorVersion", base.HEX)
f.minor = ProtoField.uint16("kd.version.minor", "MinorVersion", base.HEX)
f.protocol = ProtoField.uint8("kd.version.protocol", "ProtocolVersion", base.DEC)
f.vflags = ProtoField.uint16("kd.version.flags", "Flags", base.HEX)
f.machine = ProtoField.uint16("kd.version.machine", "MachineType", base.HEX)
f.kernbase = ProtoField.uint64("kd.version.kernbase", "KernBase", base.HEX)
f.new_state = ProtoField.uint32("kd.new_state", "NewState", base.HEX, states)
f.nprocs = ProtoField.uint32("kd.processors", "NumberProcessors", base.DEC)
f.thread = ProtoField.uint64("kd.thread", "Thread", base.HEX)
f.pc = ProtoField.uint64("kd.pc", "ProgramCounter", base.HEX)
f.exc_code = ProtoField.uint32("kd.exception.code", "ExceptionCode", base.HEX, statuses)
f.exc_address = ProtoField.uint64("kd.exception.address", "ExceptionAddress", base.HEX)
f.first_chance = ProtoField.uint32("kd.exception.first_chance", "FirstChance", base.DEC)
f.dll_base = ProtoField.uint64("kd.load.base", "BaseOfDll", base.HEX)
f.dll_size = ProtoField.uint32("kd.load.size", "SizeOfImage", base.HEX)
f.unload = ProtoField.uint8("kd.load.unload", "UnloadSymbols", base.DEC)
f.text = ProtoField.string("kd.text", "Text")
f.breakin = ProtoField.uint32("kd.breakin", "Break-in bytes", base.DEC)
f.garbage = ProtoField.uint32("kd.garbage", "Unparsed bytes", base.DEC)
f.garbage_reason = ProtoField.string("kd.garbage_reason", "Why unparsed")
f.offset = ProtoField.uint64("kd.stream_offset", "Stream offset", base.DEC)
f.start_frame = ProtoField.framenum("kd.start_frame", "Starts in frame")

local e = kd.experts
e.bad_checksum = ProtoExpert.new("kd.bad_checksum", "KD checksum wrong", expert.group.CHECKSUM, expert.severity.ERROR)
e.bad_trailer = ProtoExpert.new("kd.bad_trailer", "KD trailing byte is not 0xAA", expert.group.MALFORMED, expert.severity.ERROR)
e.bad_length = ProtoExpert.new("kd.bad_length", "KD ByteCount over 4000", expert.group.MALFORMED, expert.severity.ERROR)
e.noise = ProtoExpert.new("kd.noise", "Bytes that are not a KD packet (line noise)", expert.group.PROTOCOL, expert.severity.WARN)
e.truncated = ProtoExpert.new("kd.truncated", "Capture ends inside a KD packet", expert.group.MALFORMED, expert.severity.WARN)
e.abandoned = ProtoExpert.new("kd.abandoned", "KD packet abandoned: its sender paused longer than the receive timeout (0.4 s)", expert.group.MALFORMED, expert.severity.WARN)
e.breakin = ProtoExpert.new("kd.breakin.expert", "Break-in request", expert.group.SEQUENCE, expert.severity.NOTE)
e.resend = ProtoExpert.new("kd.resend", "RESEND: the receiver asks for the last packet again", expert.group.SEQUENCE, expert.severity.WARN)
e.reset = ProtoExpert.new("kd.reset", "RESET: both sides return to the initial packet ids", expert.group.SEQUENCE, expert.severity.NOTE)
e.bad_status = ProtoExpert.new("kd.bad_status", "Manipulate call failed", expert.group.RESPONSE_CODE, expert.severity.WARN)

-- ---------------------------------------------------------------------------------------
-- Reassembly. On the first pass every frame's bytes are appended to its direction's stream
-- and the stream is cut into items (packet, break-in, garbage); each item is filed under the
-- frame where it ends. Later passes (and the GUI) only read that table.

local streams = {}   -- key -> { buf, base, pending_noise, noise_start }
local items_by_frame = {}

function kd.init()
  streams = {}
  items_by_frame = {}
end

local function u16(s, i) return s:byte(i) + s:byte(i + 1) * 256 end
local function u32(s, i) return s:byte(i) + s:byte(i + 1) * 256 + s:byte(i + 2) * 65536 + s:byte(i + 3) * 16777216 end

local function file_item(frame, item)
  local list = items_by_frame[frame]
  if not list then
    list = {}
    items_by_frame[frame] = list
  end
  list[#list + 1] = item
end

-- The frame holding stream offset `offset` (boundaries are few: only the unfinished tail's).
local function frame_of(st, offset)
  for k = #st.bounds, 1, -1 do
    if st.bounds[k][1] <= offset then return st.bounds[k][2] end
  end
  return nil
end

local function flush_noise(st, frame)
  if st.noise_len > 0 then
    file_item(frame, { kind = "garbage", reason = "noise", offset = st.noise_start, length = st.noise_len, start_frame = st.noise_frame })
    st.noise_len = 0
  end
end

local function add_noise(st, offset, length, frame)
  if st.noise_len == 0 then
    st.noise_start = offset
    st.noise_frame = frame
  end
  st.noise_len = st.noise_len + length
end

-- Cuts as many items as the buffered bytes allow; keeps an unfinished leader run or packet.
local function cut(st, frame)
  local s = st.buf
  local n = #s
  local i = 1
  while i <= n do
    local b = s:byte(i)
    if b == 0x62 and st.breakins then
      local j = i
      while j <= n and s:byte(j) == 0x62 do j = j + 1 end
      flush_noise(st, frame)
      file_item(frame, { kind = "breakin", offset = st.base + i - 1, length = j - i, start_frame = frame })
      i = j
    elseif b == 0x30 or b == 0x69 then
      local j = i
      while j <= n and s:byte(j) == b do j = j + 1 end
      if j > n then break end -- the run may go on in the next frame
      local run = j - i
      if run < 4 then
        add_noise(st, st.base + i - 1, run, frame)
        i = j
      else
        if run > 4 then add_noise(st, st.base + i - 1, run - 4, frame) end
        local p = j - 4
        if n - p + 1 < 16 then i = p; break end
        local byte_count = u16(s, p + 6)
        local total
        if b == 0x69 then
          total = 16
        elseif byte_count > PACKET_MAX_SIZE then
          flush_noise(st, frame)
          file_item(frame, { kind = "garbage", reason = "bad-length", offset = st.base + p - 1, length = 16, bytes = s:sub(p, p + 15), start_frame = frame_of(st, st.base + p - 1) })
          i = p + 16
          total = nil
        else
          total = 16 + byte_count + 1
        end
        if total then
          if n - p + 1 < total then i = p; break end
          flush_noise(st, frame)
          local bytes = s:sub(p, p + total - 1)
          local item = { kind = "packet", offset = st.base + p - 1, length = total, bytes = bytes, start_frame = frame_of(st, st.base + p - 1) }
          if b == 0x30 and bytes:byte(total) ~= 0xAA then
            item.kind = "garbage"
            item.reason = "bad-trailer"
          end
          file_item(frame, item)
          i = p + total
        end
      end
    else
      add_noise(st, st.base + i - 1, 1, frame)
      i = i + 1
    end
  end
  st.base = st.base + i - 1
  st.buf = s:sub(i)
  -- Forget frame boundaries wholly before the kept tail.
  while #st.bounds > 1 and st.bounds[2][1] <= st.base do table.remove(st.bounds, 1) end
end

-- The sender paused too long: the unfinished leader run or packet kept at the tail is over,
-- as at the end of a stream (a short leader run is noise, a leader or more 'truncated').
local function abandon(st, frame)
  local s = st.buf
  local n = #s
  if n == 0 then return end
  local b = s:byte(1)
  local run = 1
  while run < n and s:byte(run + 1) == b do run = run + 1 end
  local start = st.base
  if run == n and n < 4 then
    add_noise(st, start, n, frame)
    flush_noise(st, frame)
  else
    local lead = run == n and n - 4 or 0
    if lead > 0 then
      add_noise(st, start, lead, frame)
      flush_noise(st, frame)
    end
    file_item(frame, { kind = "garbage", reason = "truncated", offset = start + lead, length = n - lead, start_frame = frame_of(st, start + lead) })
  end
  st.base = st.base + n
  st.buf = ""
end

local function feed(key, frame, bytes, from_debugger, time)
  local st = streams[key]
  if not st then
    st = { buf = "", base = 0, noise_len = 0, noise_start = 0, noise_frame = frame, bounds = {}, breakins = from_debugger }
    streams[key] = st
  end
  if st.last_time and time - st.last_time > RECEIVE_TIMEOUT then abandon(st, frame) end
  st.last_time = time
  st.bounds[#st.bounds + 1] = { st.base + #st.buf, frame }
  st.buf = st.buf .. bytes
  cut(st, frame)
  -- Noise is reported in the frame where it was seen rather than held across frames.
  flush_noise(st, frame)
end

-- ---------------------------------------------------------------------------------------
-- Payload dissection.

local function add_le(tree, field, range)
  return tree:add_le(field, range)
end

local function status_name(v)
  return statuses[v] or string.format("0x%08x", v)
end

-- A request leaves unset what the target fills into its reply (ReactOS ntoskrnl/kd64/kdapi.c:
-- every handler sets ReturnStatus and none reads it; KdpGetVersion fills the whole union;
-- the read/write handlers the ActualBytes count, ...): such bytes are shown as unset, under no
-- field, so no filter on kd.status, kd.actual or kd.version.* matches a request's garbage.
local NOT_IN_REQUEST = "(not filled in a request)"
local cachings = { [0] = "DEFAULT", [1] = "CACHED", [2] = "UNCACHED", [3] = "WRITE_COMBINED" }

local function unset(tree, range, name)
  tree:add(range, name .. ": " .. NOT_IN_REQUEST)
end

-- KdpReadPhysicalMemory / KdpWritePhysicalMemory read DBGKD_CACHING_* from ActualBytes*.
local function caching(tree, range)
  local v = range:le_uint()
  tree:add(range, string.format("Actual bytes: 0x%x (caching %s, in a request)", v, cachings[v] or "unknown"))
end

local function dissect_manipulate(t, tree, pinfo, summary, dir)
  if t:len() < 16 then return end
  local request = dir == "debugger->target"
  local api = t(0, 4):le_uint()
  add_le(tree, f.api, t(0, 4))
  local name = apis[api] or string.format("Unknown(0x%x)", api)
  tree:add(f.api_name, t(0, 4), name)
  add_le(tree, f.proc_level, t(4, 2))
  add_le(tree, f.processor, t(6, 2))
  summary[#summary + 1] = name
  if request then
    unset(tree, t(8, 4), "ReturnStatus")
  else
    local status = t(8, 4):le_uint()
    local st_item = add_le(tree, f.status, t(8, 4))
    if status ~= 0 and status ~= 0x103 then
      st_item:add_proto_expert_info(e.bad_status, "ReturnStatus " .. status_name(status))
      summary[#summary + 1] = status_name(status)
    end
  end
  if t:len() < 56 then return end
  local u = 16
  if api == 0x3130 or api == 0x3131 or api == 0x313D or api == 0x313E or api == 0x3137 or api == 0x3138 then
    add_le(tree, f.address, t(u, 8))
    add_le(tree, f.count, t(u + 8, 4))
    if not request then
      add_le(tree, f.actual, t(u + 12, 4))
    elseif api == 0x313D or api == 0x313E then
      caching(tree, t(u + 12, 4))
    else
      unset(tree, t(u + 12, 4), "Actual bytes")
    end
    summary[#summary + 1] = string.format("0x%s len 0x%x", t(u, 8):le_uint64():tohex(), t(u + 8, 4):le_uint())
  elseif api == 0x3146 then
    if request then
      unset(tree, t(u, 40), "GetVersion64")
    else
      add_le(tree, f.major, t(u, 2))
      add_le(tree, f.minor, t(u + 2, 2))
      add_le(tree, f.protocol, t(u + 4, 1))
      add_le(tree, f.vflags, t(u + 6, 2))
      add_le(tree, f.machine, t(u + 8, 2))
      add_le(tree, f.kernbase, t(u + 16, 8))
    end
  elseif api == 0x3134 then
    add_le(tree, f.address, t(u, 8))
    if request then unset(tree, t(u + 8, 4), "BreakPointHandle") else add_le(tree, f.handle, t(u + 8, 4)) end
  elseif api == 0x3135 then
    add_le(tree, f.handle, t(u, 4))
  elseif api == 0x3152 or api == 0x3153 then
    add_le(tree, f.msr, t(u, 4))
    if request and api == 0x3152 then unset(tree, t(u + 4, 8), "Msr value") else add_le(tree, f.msr_value, t(u + 4, 8)) end
  elseif api == 0x3136 or api == 0x313C then
    add_le(tree, f.continue_status, t(u, 4))
  end
  if t:len() > 56 then tree:add(f.payload, t(56)):set_text(string.format("Data (%d bytes)", t:len() - 56)) end
end

local function dissect_state_change(t, tree, summary)
  if t:len() < 0x20 then return end
  local state = t(0, 4):le_uint()
  add_le(tree, f.new_state, t(0, 4))
  add_le(tree, f.proc_level, t(4, 2))
  add_le(tree, f.processor, t(6, 2))
  add_le(tree, f.nprocs, t(8, 4))
  add_le(tree, f.thread, t(0x10, 8))
  add_le(tree, f.pc, t(0x18, 8))
  summary[#summary + 1] = states[state] or string.format("Unknown(0x%x)", state)
  if state == 0x3030 and t:len() >= 0xBC then
    add_le(tree, f.exc_code, t(0x20, 4))
    add_le(tree, f.exc_address, t(0x30, 8))
    add_le(tree, f.first_chance, t(0xB8, 4))
    summary[#summary + 1] = string.format("%s at 0x%s", status_name(t(0x20, 4):le_uint()), t(0x30, 8):le_uint64():tohex())
  elseif state == 0x3031 and t:len() >= 0x41 then
    add_le(tree, f.dll_base, t(0x28, 8))
    add_le(tree, f.dll_size, t(0x3C, 4))
    add_le(tree, f.unload, t(0x40, 1))
    if t:len() > 0xF0 then
      local path = t(0xF0):stringz()
      tree:add(f.text, t(0xF0), path)
      summary[#summary + 1] = path
    end
  end
end

local function dissect_debug_io(t, tree, summary)
  if t:len() < 16 then return end
  local api = t(0, 4):le_uint()
  add_le(tree, f.api, t(0, 4))
  tree:add(f.api_name, t(0, 4), apis[api] or string.format("Unknown(0x%x)", api))
  add_le(tree, f.proc_level, t(4, 2))
  add_le(tree, f.processor, t(6, 2))
  if t:len() > 16 then
    local text = t(16):string()
    tree:add(f.text, t(16), text)
    summary[#summary + 1] = string.format("%q", text:gsub("\n$", ""))
  end
end

local function dissect_file_io(t, tree, summary)
  if t:len() < 4 then return end
  local api = t(0, 4):le_uint()
  add_le(tree, f.api, t(0, 4))
  local name = apis[api] or string.format("Unknown(0x%x)", api)
  tree:add(f.api_name, t(0, 4), name)
  summary[#summary + 1] = name
end

local function dissect_packet(tvb, root, pinfo, item, dir)
  local tree = root:add(kd, tvb(), "KD packet")
  tree:add(f.dir, dir)
  tree:add(f.offset, UInt64(item.offset))
  tree:add(f.start_frame, item.start_frame)
  local leader = tvb(0, 4):le_uint()
  local ptype = tvb(4, 2):le_uint()
  local byte_count = tvb(6, 2):le_uint()
  add_le(tree, f.leader, tvb(0, 4))
  add_le(tree, f.type, tvb(4, 2))
  local type_name = packet_types[ptype] or string.format("UNKNOWN_%d", ptype)
  tree:add(f.type_name, tvb(4, 2), type_name)
  add_le(tree, f.bytecount, tvb(6, 2))
  add_le(tree, f.id, tvb(8, 4))
  local summary = { type_name, string.format("id=0x%08x", tvb(8, 4):le_uint()) }
  local sum_item = add_le(tree, f.checksum, tvb(12, 4))
  local ok = true
  if leader == 0x30303030 then
    local sum = 0
    local payload = tvb(16, byte_count)
    local raw = payload:raw()
    for k = 1, #raw do sum = sum + raw:byte(k) end
    sum = sum % 4294967296
    ok = sum == tvb(12, 4):le_uint()
    tree:add(f.checksum_ok, ok)
    if not ok then
      sum_item:add_proto_expert_info(e.bad_checksum, string.format("KD checksum 0x%08x, payload sums to 0x%08x", tvb(12, 4):le_uint(), sum))
      summary[#summary + 1] = "[BAD CHECKSUM]"
    end
    add_le(tree, f.trailer, tvb(16 + byte_count, 1))
    if byte_count > 0 then
      local body = tree:add(f.payload, payload)
      if ptype == 2 then
        dissect_manipulate(payload:tvb(), body, pinfo, summary, dir)
      elseif ptype == 7 then
        dissect_state_change(payload:tvb(), body, summary)
      elseif ptype == 3 then
        dissect_debug_io(payload:tvb(), body, summary)
      elseif ptype == 11 then
        dissect_file_io(payload:tvb(), body, summary)
      end
    end
  else
    tree:add(f.checksum_ok, true)
    if ptype == 5 then tree:add_proto_expert_info(e.resend) end
    if ptype == 6 then tree:add_proto_expert_info(e.reset) end
  end
  tree:append_text(": " .. table.concat(summary, " "))
  return table.concat(summary, " ")
end

local function item_tvb(tvb, frame_start, item, frame)
  -- Bytes wholly inside this frame are shown on the frame itself so the hex pane links up;
  -- packets that span frames get a reassembled data source of their own.
  local rel = item.offset - frame_start
  if item.start_frame == frame and rel >= 0 and rel + item.length <= tvb:len() then
    return tvb(rel, item.length):tvb()
  end
  return ByteArray.new(item.bytes, true):tvb("Reassembled KD packet")
end

function kd.dissector(tvb, pinfo, root)
  local len = tvb:len()
  if len >= 4 and tvb(0, 4):string() == "MDBG" then return 0 end -- KDNET: not ours
  local src, dst = pinfo.src_port, pinfo.dst_port
  local dir
  if src == DEBUGGER_PORT and dst == TARGET_PORT then
    dir = "debugger->target"
  elseif src == TARGET_PORT and dst == DEBUGGER_PORT then
    dir = "target->debugger"
  else
    return 0
  end
  pinfo.cols.protocol = "KD"
  local key = tostring(pinfo.src) .. ":" .. src .. ">" .. tostring(pinfo.dst) .. ":" .. dst
  local frame = pinfo.number
  if not pinfo.visited then
    local st = streams[key]
    local frame_start = st and (st.base + #st.buf) or 0
    items_by_frame[frame] = items_by_frame[frame] or {}
    items_by_frame[frame].frame_start = frame_start
    feed(key, frame, tvb:raw(), dir == "debugger->target", pinfo.abs_ts)
  end
  local list = items_by_frame[frame]
  local root_item = root:add(kd, tvb(), "Windows Kernel Debugger, " .. dir)
  root_item:add(f.dir, dir)
  local infos = {}
  if list then
    for _, item in ipairs(list) do
      if item.kind == "packet" then
        infos[#infos + 1] = dissect_packet(item_tvb(tvb, list.frame_start, item, frame), root_item, pinfo, item, dir)
      elseif item.kind == "breakin" then
        local it = root_item:add(f.breakin, item.length)
        it:add_proto_expert_info(e.breakin)
        infos[#infos + 1] = "BREAK-IN"
      else
        local it = root_item:add(f.garbage, item.length)
        root_item:add(f.garbage_reason, item.reason)
        local ex = item.reason == "bad-trailer" and e.bad_trailer or item.reason == "bad-length" and e.bad_length
          or item.reason == "truncated" and e.abandoned or e.noise
        it:add_proto_expert_info(ex)
        infos[#infos + 1] = string.format("[%d bytes %s]", item.length, item.reason)
      end
    end
  end
  local arrow = dir == "debugger->target" and "D->T " or "T->D "
  if #infos == 0 then
    pinfo.cols.info = arrow .. "[continuation of a KD packet]"
  else
    pinfo.cols.info = arrow .. table.concat(infos, " | ")
  end
  return len
end

local udp_port = DissectorTable.get("udp.port")
udp_port:add(DEBUGGER_PORT, kd)
udp_port:add(TARGET_PORT, kd)
