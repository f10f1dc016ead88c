use crate::pin_plan::*;
use crate::reset_kind::left_by_a_crash;

#[test]
fn scripts_get_gpio0_to_10_and_every_other_pin_is_refused_with_its_reason() {
    for p in 0..=10 {
        assert_eq!(usable_pin(p), Ok(p as u8));
    }
    let why = |p| usable_pin(p).unwrap_err();
    assert!(why(11).contains("VDD_SPI"), "{}", why(11));
    for p in 12..=17 {
        assert!(why(p).contains("SPI flash"), "{}", why(p));
    }
    assert!(why(18).contains("USB-Serial-JTAG"));
    assert!(why(19).contains("USB-Serial-JTAG"));
    assert!(why(20).contains("UART0"));
    assert!(why(21).contains("console"));
    assert!(why(22).contains("GPIO0-GPIO21"));
    assert!(why(u32::MAX).contains("GPIO0-GPIO21"));
    assert_eq!(PIN_COUNT, 22);
}

#[test]
fn a_free_pin_is_taken_and_the_same_holder_keeps_it() {
    let mut t = PinTable::new();
    assert_eq!(t.check(3, Owner::Gpio { edges: false }), Ok(Take::Free));
    t.set(3, Owner::Gpio { edges: false });
    assert_eq!(t.check(3, Owner::Gpio { edges: true }), Ok(Take::Same));
    t.set(3, Owner::Pwm);
    assert_eq!(t.check(3, Owner::Pwm), Ok(Take::Same));
    t.release(3);
    assert_eq!(t.owner(3), None);
}

#[test]
fn plain_gpio_and_adc_yield_but_pwm_edges_and_buses_do_not() {
    let mut t = PinTable::new();
    t.set(2, Owner::Gpio { edges: false });
    assert_eq!(
        t.check(2, Owner::Pwm),
        Ok(Take::Replace(Owner::Gpio { edges: false }))
    );
    t.set(2, Owner::Adc);
    assert_eq!(
        t.check(2, Owner::Gpio { edges: false }),
        Ok(Take::Replace(Owner::Adc))
    );
    t.set(2, Owner::Gpio { edges: true });
    let e = t.check(2, Owner::Pwm).unwrap_err();
    assert!(e.contains("edge interrupt"), "{e}");
    t.set(2, Owner::Pwm);
    let e = t.check(2, Owner::Gpio { edges: false }).unwrap_err();
    assert!(e.contains("PWM output"), "{e}");
    assert!(t.check(2, Owner::Adc).is_err());
    t.set(5, Owner::Bus(Bus::I2c0));
    let e = t.check(5, Owner::Gpio { edges: false }).unwrap_err();
    assert!(e.contains("SDA of I2C bus 0"), "{e}");
    assert!(t.check(5, Owner::Pwm).is_err());
}

#[test]
fn the_adc_is_only_on_gpio0_to_4() {
    let t = PinTable::new();
    for p in 0..=4 {
        assert_eq!(t.check(p, Owner::Adc), Ok(Take::Free));
    }
    for p in 5..=10 {
        let e = t.check(p, Owner::Adc).unwrap_err();
        assert!(e.contains("no ADC channel"), "{e}");
    }
    assert_eq!(adc_value(0), 0);
    assert_eq!(adc_value(4095), 4095);
    assert_eq!(adc_value(u16::MAX), 4095);
}

#[test]
fn a_bus_takes_all_its_pins_or_none() {
    let mut t = PinTable::new();
    t.set(SPI2_MISO, Owner::Gpio { edges: false });
    let takes = t.check_bus(Bus::Spi2).unwrap();
    assert!(takes.contains(&(SPI2_MISO, Take::Replace(Owner::Gpio { edges: false }))));
    assert!(takes.contains(&(SPI2_SCK, Take::Free)));
    t.set(SPI2_MOSI, Owner::Pwm);
    let e = t.check_bus(Bus::Spi2).unwrap_err();
    assert!(
        e.contains("SPI bus 0 needs GPIO10") && e.contains("PWM"),
        "{e}"
    );
    // The default pins of the buses are distinct usable pins.
    let mut all: Vec<u8> = [Bus::I2c0, Bus::Spi2, Bus::Uart1]
        .iter()
        .flat_map(|b| b.default_pins().iter().map(|(p, _)| *p))
        .collect();
    assert!(all.iter().all(|p| usable_pin(*p as u32).is_ok()));
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 7);
}

#[test]
fn bus_numbers_addresses_lengths_ports_and_bauds_are_checked() {
    assert!(check_bus_number(0, "I2C", "x").is_ok());
    assert!(check_bus_number(1, "I2C", "x")
        .unwrap_err()
        .contains("bus 1 does not exist"));
    assert!(check_i2c(0x7F, 4096).is_ok());
    assert!(check_i2c(0x80, 1).unwrap_err().contains("7-bit"));
    assert!(check_i2c(0x10, 4097).unwrap_err().contains("4096"));
    assert!(check_length(4097, "SPI").is_err());
    assert!(check_uart(1, Some(115_200)).is_ok());
    assert!(check_uart(1, None).is_ok());
    assert!(check_uart(0, Some(9600)).unwrap_err().contains("console"));
    assert!(check_uart(2, Some(9600))
        .unwrap_err()
        .contains("does not exist"));
    assert!(check_uart(1, Some(0)).is_err());
    assert!(check_uart(1, Some(299)).is_err());
    assert!(check_uart(1, Some(300)).is_ok());
    assert!(check_uart(1, Some(5_000_000)).is_ok());
    assert!(check_uart(1, Some(5_000_001)).is_err());
}

/// esp-hal's divisor for `hz` at `bits` (as `ledc::timer::Timer::configure` computes it).
fn esp_hal_divisor(hz: u32, bits: u8) -> u64 {
    (80_000_000u64 << 8) / hz as u64 / (1u64 << bits)
}

#[test]
fn every_accepted_frequency_has_at_least_the_reported_resolution_and_a_valid_divisor() {
    let (lo, hi) = pwm_hz_range();
    assert_eq!((lo, hi), (10, 78_125));
    for hz in (1..200_000).step_by(7).chain([lo, hi, 50, 1000, 20_000]) {
        match ledc_bits(hz) {
            Ok(bits) => {
                assert!((PWM_BITS..=LEDC_MAX_BITS).contains(&bits));
                assert!(
                    (256..=0x3FFFF).contains(&esp_hal_divisor(hz, bits)),
                    "{hz} Hz"
                );
                // The widest that fits.
                if bits < LEDC_MAX_BITS {
                    assert!(esp_hal_divisor(hz, bits + 1) < 256, "{hz} Hz");
                }
                assert!((lo..=hi).contains(&hz));
            }
            Err(e) => {
                assert!(!(lo..=hi).contains(&hz), "{hz} Hz refused: {e}");
                assert!(e.contains("10-78125 Hz"), "{e}");
            }
        }
    }
    // Never 14 bits: at 14 the C3's LEDC cannot be always on.
    assert_eq!(LEDC_MAX_BITS, 13);
    assert_eq!(ledc_bits(50), Ok(13));
    assert_eq!(ledc_bits(1000), Ok(13));
    assert_eq!(ledc_bits(9_765), Ok(13));
    assert_eq!(ledc_bits(9_766), Ok(12));
    assert_eq!(ledc_bits(78_125), Ok(10));
    assert!(ledc_bits(0).is_err());
    assert!(ledc_bits(9).is_err());
    assert!(ledc_bits(78_126).is_err());
    assert!(ledc_bits(u32::MAX).is_err());
}

#[test]
fn duty_maps_off_to_zero_and_full_scale_to_always_on() {
    for bits in PWM_BITS..=LEDC_MAX_BITS {
        assert_eq!(ledc_duty(0, bits), Ok(0));
        assert_eq!(ledc_duty(1023, bits), Ok(1 << bits));
        let mut last = 0;
        for d in 1..=1023 {
            let hw = ledc_duty(d, bits).unwrap();
            assert!(hw > last, "monotonic at {d}");
            last = hw;
        }
    }
    assert_eq!(ledc_duty(512, 10), Ok(513));
    assert!(ledc_duty(1024, 10).unwrap_err().contains("0-1023"));
    assert!(ledc_duty(u32::MAX, 13).is_err());
}

#[test]
fn pins_at_one_frequency_share_a_timer_and_a_lone_pin_retunes_its_own() {
    let mut p = LedcPlan::new();
    let a = p.assign(0, 1000).unwrap();
    assert!(a.configure_timer && a.configure_channel);
    let b = p.assign(1, 1000).unwrap();
    assert_eq!(b.timer, a.timer);
    assert!(!b.configure_timer && b.configure_channel);
    assert_ne!(b.channel, a.channel);
    // The same again: nothing to do.
    let again = p.assign(1, 1000).unwrap();
    assert!(!again.configure_timer && !again.configure_channel);
    assert_eq!(again.channel, b.channel);
    // Pin 1 moves to another frequency: a new timer, the shared one keeps pin 0.
    let c = p.assign(1, 2000).unwrap();
    assert_ne!(c.timer, a.timer);
    assert!(c.configure_timer && c.configure_channel);
    assert_eq!(c.channel, b.channel);
    // Pin 1 alone on its timer: retuned in place.
    let d = p.assign(1, 3000).unwrap();
    assert_eq!(d.timer, c.timer);
    assert!(d.configure_timer && !d.configure_channel);
    // Release frees the channel and, when unused, the timer.
    assert_eq!(p.release(1), Some(c.channel));
    assert_eq!(p.release(1), None);
    assert_eq!(p.channel_of(0), Some(a.channel));
}

#[test]
fn timers_and_channels_run_out_with_a_clear_error_and_nothing_changes() {
    let mut p = LedcPlan::new();
    for (pin, hz) in [(0, 100), (1, 200), (2, 300), (3, 400)] {
        p.assign(pin, hz).unwrap();
    }
    let e = p.assign(4, 500).unwrap_err();
    assert!(
        e.contains("all 4 PWM timers") && e.contains("400 Hz"),
        "{e}"
    );
    assert_eq!(p.channel_of(4), None);
    // Sharing an existing frequency still works, up to 6 channels.
    p.assign(4, 400).unwrap();
    p.assign(5, 100).unwrap();
    let e = p.assign(6, 100).unwrap_err();
    assert!(e.contains("all 6 PWM channels"), "{e}");
    // A refused frequency leaves the pin as it was.
    assert!(p.assign(0, 1).is_err());
    assert_eq!(p.assign(0, 100).map(|s| s.configure_timer), Ok(false));
    // Freeing one timer lets a new frequency in.
    p.release(1);
    assert!(p.assign(6, 500).is_ok());
}

#[test]
fn edges_are_coalesced_to_at_most_two_events_ending_at_the_last_level() {
    assert_eq!(edge_events(0, true, false, Sense::Any).1, 0);
    // A change from the level last reported: one event, whatever the handler counted (edges
    // microseconds apart, a bounce's, may count once or several times).
    for fired in [1, 2, 3, 4, u32::MAX] {
        assert_eq!(
            edge_events(fired, true, false, Sense::Any),
            ([true, false], 1)
        );
        assert_eq!(
            edge_events(fired, false, true, Sense::Any),
            ([false, false], 1)
        );
    }
    // Back at the level last reported: a pulse within a round, a press and a release.
    for fired in [1, 2, 3] {
        assert_eq!(
            edge_events(fired, true, true, Sense::Any),
            ([false, true], 2)
        );
        assert_eq!(
            edge_events(fired, false, false, Sense::Any),
            ([true, false], 2)
        );
    }
    assert_eq!(
        edge_events(1, false, false, Sense::Rising),
        ([true, false], 1)
    );
    assert_eq!(
        edge_events(5, false, false, Sense::Rising),
        ([true, true], 2)
    );
    assert_eq!(
        edge_events(1, true, true, Sense::Falling),
        ([false, false], 1)
    );
    assert_eq!(
        edge_events(3, true, true, Sense::Falling),
        ([false, false], 2)
    );
}

#[test]
fn an_i2c_time_limit_grows_with_the_length_and_stays_far_below_the_watchdog() {
    // Sensor-sized calls share the smallest limit (one controller configuration).
    assert_eq!(i2c_timeout_ms(0, I2C_HZ), I2C_TIMEOUT_STEP_MS);
    assert_eq!(i2c_timeout_ms(32, I2C_HZ), I2C_TIMEOUT_STEP_MS);
    for hz in [I2C_MIN_HZ, I2C_HZ, 400_000, I2C_MAX_HZ] {
        let mut last = 0;
        for bytes in (0..=2 * MAX_BUS_TRANSFER).step_by(7) {
            let ms = i2c_timeout_ms(bytes, hz);
            // At least the bytes' time on the wire (9 clocks a byte, address included)...
            let wire_ms = (bytes as u64 + 2) * 9 * 1000 / u64::from(hz);
            assert!(
                ms > wire_ms,
                "{bytes} bytes at {hz} Hz: {ms} ms < {wire_ms} ms on the wire"
            );
            assert_eq!(ms % I2C_TIMEOUT_STEP_MS, 0);
            assert!(ms >= last, "{bytes} bytes");
            last = ms;
        }
    }
    // ... and the longest legal call (a 4096-byte write then a 4096-byte read, about 0.74 s on
    // the wire at 100 kHz) fits, with esp-hal's 50 ms of bus clearing, far inside the 5 s
    // watchdog; at the slowest clock a script may choose it still does.
    let longest = i2c_timeout_ms(2 * MAX_BUS_TRANSFER, I2C_HZ);
    assert_eq!(longest, 1_500);
    assert!(longest + 50 < 5_000 / 2);
    let slowest = i2c_timeout_ms(2 * MAX_BUS_TRANSFER, I2C_MIN_HZ);
    assert!(slowest + 50 < 5_000 * 2 / 3, "{slowest} ms");
    // No overflow on absurd lengths (the board refuses them before), or a zero clock.
    assert!(i2c_timeout_ms(usize::MAX, I2C_HZ) > longest);
    assert!(i2c_timeout_ms(10, 0) > 0);
}

#[test]
fn i2c_clocks_outside_the_controllers_range_are_refused() {
    assert!(check_i2c_hz(100_000).is_ok());
    assert!(check_i2c_hz(400_000).is_ok());
    assert!(check_i2c_hz(I2C_MIN_HZ).is_ok() && check_i2c_hz(I2C_MAX_HZ).is_ok());
    let e = check_i2c_hz(1_000_000).unwrap_err();
    assert!(e.contains("50000-800000 Hz"), "{e}");
    assert!(check_i2c_hz(I2C_MIN_HZ - 1).is_err());
}

#[test]
fn a_script_chooses_a_buss_pins_before_its_first_use_and_not_after() {
    let mut t = PinTable::new();
    assert_eq!(t.describe_bus_pins(Bus::I2c0), "SDA GPIO5, SCL GPIO6");
    // Other pins before the first use: the bus will take those.
    t.choose_bus_pins(Bus::I2c0, &[8, 9]).unwrap();
    assert_eq!(t.bus_pins(Bus::I2c0), vec![(8, "SDA"), (9, "SCL")]);
    assert_eq!(t.describe_bus_pins(Bus::I2c0), "SDA GPIO8, SCL GPIO9");
    let takes = t.check_bus(Bus::I2c0).unwrap();
    assert!(takes.contains(&(8, Take::Free)) && takes.contains(&(9, Take::Free)));
    // Changing its mind before the first use is fine.
    t.choose_bus_pins(Bus::I2c0, &[3, 4]).unwrap();
    assert_eq!(t.describe_bus_pins(Bus::I2c0), "SDA GPIO3, SCL GPIO4");
    // Bad choices change nothing.
    let e = t.choose_bus_pins(Bus::I2c0, &[3, 3]).unwrap_err();
    assert!(e.contains("SDA and SCL cannot both be GPIO3"), "{e}");
    let e = t.choose_bus_pins(Bus::I2c0, &[20, 4]).unwrap_err();
    assert!(e.contains("I2C bus 0 SDA: GPIO20 cannot be used"), "{e}");
    t.set(7, Owner::Pwm);
    let e = t.choose_bus_pins(Bus::I2c0, &[7, 4]).unwrap_err();
    assert!(
        e.contains("SDA on GPIO7") && e.contains("PWM output"),
        "{e}"
    );
    assert_eq!(t.describe_bus_pins(Bus::I2c0), "SDA GPIO3, SCL GPIO4");
    // A plain GPIO gives its pin up to the bus, as with the default pins.
    t.set(2, Owner::Gpio { edges: false });
    t.choose_bus_pins(Bus::I2c0, &[2, 4]).unwrap();
    // After the first use the bus keeps its pins: the same ones are fine, others are not.
    for (p, _) in t.bus_pins(Bus::I2c0) {
        t.set(p, Owner::Bus(Bus::I2c0));
    }
    assert!(t.holds(Bus::I2c0) && !t.holds(Bus::Spi2));
    t.choose_bus_pins(Bus::I2c0, &[2, 4]).unwrap();
    let e = t.choose_bus_pins(Bus::I2c0, &[5, 6]).unwrap_err();
    assert!(
        e.contains("I2C bus 0 already uses SDA GPIO2, SCL GPIO4"),
        "{e}"
    );
    // A pin the bus holds is described by its chosen signal.
    let e = t.check(4, Owner::Pwm).unwrap_err();
    assert!(e.contains("GPIO4 is the SCL of I2C bus 0"), "{e}");
    // The wrong number of pins is an error, not a panic.
    assert!(t.choose_bus_pins(Bus::Spi2, &[1, 2]).is_err());
    // Serial port 1 the same way (TC53 `transmit`, `receive`).
    t.choose_bus_pins(Bus::Uart1, &[3, 8]).unwrap();
    assert_eq!(t.describe_bus_pins(Bus::Uart1), "TX GPIO3, RX GPIO8");
    let e = t.choose_bus_pins(Bus::Uart1, &[4, 9]).unwrap_err();
    assert!(
        e.contains("TX on GPIO4") && e.contains("SCL of I2C bus 0"),
        "{e}"
    );
}

#[test]
fn after_an_i2c_timeout_calls_fail_at_once_for_a_second_with_the_timeouts_error() {
    let mut s = I2cStuck::new();
    assert_eq!(s.check(0), Ok(()));
    // A device that does not answer is no stuck bus.
    s.record(100, 0x44, false);
    assert_eq!(s.check(101), Ok(()));
    s.record(1_000, 0x44, true);
    let e = s.check(1_000).unwrap_err();
    assert!(e.starts_with(&i2c_timeout_message(0x44)), "{e}");
    assert!(e.contains("0 ms ago"), "{e}");
    let e = s.check(1_000 + I2C_STUCK_MS - 1).unwrap_err();
    assert!(e.contains("999 ms ago"), "{e}");
    // A second later the bus is tried again; a clock that went back is no reason to wait.
    assert_eq!(s.check(1_000 + I2C_STUCK_MS), Ok(()));
    assert!(s.check(10).is_err());
    // Timing out again starts another second; any other end clears it.
    s.record(3_000, 0x10, true);
    assert!(s.check(3_500).unwrap_err().contains("0x10"));
    s.record(4_100, 0x10, false);
    assert_eq!(s.check(4_100), Ok(()));
}

#[test]
fn a_uart_write_is_taken_whole_or_not_at_all() {
    // Fits: all of it, up to exactly the room left.
    assert_eq!(uart_write_take(10, 0, 1024), 10);
    assert_eq!(uart_write_take(24, 1000, 1024), 24);
    assert_eq!(uart_write_take(0, 1024, 1024), 0);
    // Does not fit now: nothing (never a part of a write that could fit later).
    assert_eq!(uart_write_take(25, 1000, 1024), 0);
    assert_eq!(uart_write_take(1, 1024, 1024), 0);
    assert_eq!(uart_write_take(128, 1000, 1024), 0);
    // Could never fit: what fits, so that such a writer still makes progress.
    assert_eq!(uart_write_take(2000, 0, 1024), 1024);
    assert_eq!(uart_write_take(2000, 1000, 1024), 24);
    // A queue holding more than its capacity (cannot happen) takes nothing and does not panic.
    assert_eq!(uart_write_take(5, 2000, 1024), 0);
}

#[test]
fn a_storm_pause_ending_reports_the_level_the_signal_settled_at() {
    // Settled where the last counted edge left it: nothing to report.
    for sense in [Sense::Any, Sense::Rising, Sense::Falling] {
        assert_eq!(resume_event(true, true, sense), None);
        assert_eq!(resume_event(false, false, sense), None);
    }
    // Settled at the other level: one event, if the pin listens to that edge.
    assert_eq!(resume_event(true, false, Sense::Any), Some(false));
    assert_eq!(resume_event(false, true, Sense::Any), Some(true));
    assert_eq!(resume_event(false, true, Sense::Rising), Some(true));
    assert_eq!(resume_event(true, false, Sense::Rising), None);
    assert_eq!(resume_event(true, false, Sense::Falling), Some(false));
    assert_eq!(resume_event(false, true, Sense::Falling), None);
}

#[test]
fn a_driver_fails_fast_only_within_its_window_after_a_timeout() {
    assert_eq!(backing_off(None, 5_000, ADC_STUCK_MS), None);
    assert_eq!(backing_off(Some(5_000), 5_000, ADC_STUCK_MS), Some(0));
    assert_eq!(backing_off(Some(5_000), 5_999, ADC_STUCK_MS), Some(999));
    assert_eq!(backing_off(Some(5_000), 6_000, ADC_STUCK_MS), None);
    // A clock that went back counts as "just now", never as a panic.
    assert_eq!(backing_off(Some(5_000), 10, ADC_STUCK_MS), Some(0));
}

#[test]
fn only_a_panic_or_a_watchdog_reset_leaves_the_crash_marker_counting() {
    // Power-on, software restart (Shelly.Reboot), brownout, the USB flashing's two resets.
    for reason in [0x01, 0x03, 0x0F, 0x15, 0x16] {
        assert!(!left_by_a_crash(false, Some(reason)), "{reason:#04x}");
    }
    assert!(!left_by_a_crash(false, None));
    // A panic restarts by software: its note counts.
    assert!(left_by_a_crash(true, Some(0x03)));
    // The task watchdog (TIMG0: main watchdog 0), the RTC and super watchdogs.
    for reason in [0x07, 0x08, 0x09, 0x0B, 0x0D, 0x10, 0x11, 0x12] {
        assert!(left_by_a_crash(false, Some(reason)), "{reason:#04x}");
    }
}
