import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** What a test types in a form built by MutationForm: by field path (`title`, `holders.0.memberId`). */
export type FormValues = Record<string, string | boolean | string[]>;

/** The form with this test id. */
export const form = (page: Page, testId: string): Locator => page.locator(`[data-testid="${testId}"]`);

/** Fills fields by their `name` (the API's input path): selects pick by value, checkboxes tick, the rest is typed. */
export async function fill(scope: Locator, values: FormValues): Promise<void> {
  for (const [name, value] of Object.entries(values)) {
    const field = scope.locator(`[name="${name}"]`);
    if (Array.isArray(value)) {
      for (const option of value) await scope.locator(`[name="${name}"][value="${option}"]`).check();
      continue;
    }
    const first = field.first();
    await first.waitFor({ timeout: 10_000 });
    const tag = await first.evaluate((element) => element.tagName.toLowerCase());
    const type = await first.getAttribute('type');
    if (tag === 'select') await first.selectOption(String(value));
    else if (type === 'checkbox') await first.setChecked(value === true);
    else await first.fill(String(value));
  }
}

/** Submits a MutationForm and answers its confirmation dialog when one opens. */
export async function submit(page: Page, testId: string, options: { confirm?: boolean } = {}): Promise<void> {
  await page.locator(`[data-testid="${testId}-submit"]`).click();
  if (options.confirm) await confirm(page);
}

/** Accepts the open confirmation dialog. */
export async function confirm(page: Page): Promise<void> {
  const dialog = page.locator('[data-testid="confirm-dialog"]');
  await dialog.waitFor({ timeout: 10_000 });
  await dialog.locator('[data-testid="confirm-yes"]').click();
}

/**
 * Waits until the field `name` of the form is marked invalid with its message tied to it (aria-describedby) and
 * visible next to it; returns the message.
 */
export async function fieldError(scope: Locator, name: string, timeout = 15_000): Promise<string> {
  const field = scope.locator(`[name="${name}"]`).first();
  await expect.poll(() => field.getAttribute('aria-invalid'), { timeout }).toBe('true');
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  const errorId = describedBy.split(' ').find((part) => part.endsWith('-error'));
  expect(errorId, `${name} has no error id in ${describedBy}`).toBeTruthy();
  const message = scope.page().locator(`[id="${errorId}"][data-testid="field-error"]`);
  await message.waitFor({ state: 'visible', timeout });
  return (await message.textContent())?.trim() ?? '';
}
