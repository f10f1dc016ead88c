"""Connect to a running `ferrite device` with aioshelly's RpcDevice (the library Home
Assistant uses for Shelly Gen2+ devices): device info over HTTP, initialization over the
WebSocket (GetDeviceInfo, GetConfig, GetStatus), a switch command with its NotifyStatus, then
the same with digest authentication after Shelly.SetAuth.

Usage: python3 aioshelly_compat.py <port>. Prints `ok: ...` lines; exits non-zero on failure.
"""

import asyncio
import hashlib
import sys

import aiohttp
from aioshelly.common import ConnectionOptions, get_info
from aioshelly.rpc_device import RpcDevice, RpcUpdateType


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


async def main(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        info = await get_info(session, "127.0.0.1", port=port)
        check(info["gen"] == 2 and info["id"].startswith("ferrite-"), f"/shelly: {info['id']}")

        options = ConnectionOptions("127.0.0.1", port=port)
        device = await RpcDevice.create(session, None, options)
        updates = asyncio.Queue()
        device.subscribe_updates(lambda dev, kind: updates.put_nowait(kind))
        await device.initialize()
        check(device.initialized, "RpcDevice.initialize over the WebSocket")
        check(device.shelly["id"] == info["id"], "Shelly.GetDeviceInfo")
        check("switch:0" in device.status and "sys" in device.status, "Shelly.GetStatus")
        check("switch:0" in device.config, "Shelly.GetConfig")

        await device.call_rpc("Switch.Set", {"id": 0, "on": True})
        kind = await asyncio.wait_for(updates.get(), 5)
        while kind != RpcUpdateType.STATUS:
            kind = await asyncio.wait_for(updates.get(), 5)
        check(device.status["switch:0"]["output"] is True, "NotifyStatus merged into status")

        realm = info["id"]
        ha1 = hashlib.sha256(f"admin:{realm}:pa55".encode()).hexdigest()
        await device.call_rpc("Shelly.SetAuth", {"user": "admin", "realm": realm, "ha1": ha1})
        await device.shutdown()

        info = await get_info(session, "127.0.0.1", port=port)
        check(info["auth_en"] is True, "/shelly says auth_en after Shelly.SetAuth")
        options = ConnectionOptions("127.0.0.1", "admin", "pa55", port=port)
        device = await RpcDevice.create(session, None, options)
        await device.initialize()
        check(device.initialized and "switch:0" in device.status, "initialize with digest auth")
        status = await device.call_rpc("Switch.GetStatus", {"id": 0})
        check(status["output"] is True, "authenticated Switch.GetStatus")
        await device.shutdown()

        options = ConnectionOptions("127.0.0.1", "admin", "wrong", port=port)
        device = await RpcDevice.create(session, None, options)
        try:
            await device.initialize()
            raise SystemExit("FAILED: a wrong password was accepted")
        except SystemExit:
            raise
        except Exception as err:  # InvalidAuthError
            check(type(err).__name__ == "InvalidAuthError", f"wrong password refused ({type(err).__name__})")
        await device.shutdown()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
